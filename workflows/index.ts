/** Every workflow the Conduit worker runs. Workflow code imports only domain, contracts and activity types. */
export { onboardConnection } from './onboarding';

/** Contract for onboarding a seller connection: workflow ID and task queue in one place. */
export const onboardingWorkflowId = (connectionId: string): string => `onboard:${connectionId}`;

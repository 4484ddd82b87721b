/** An SP-API error response: `{"errors":[{code,message,details}]}` with an HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }

  toBody(): { errors: { code: string; message: string; details?: string }[] } {
    const error: { code: string; message: string; details?: string } = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { errors: [error] };
  }
}

export const ACCESS_DENIED_MESSAGE = 'Access to requested resource is denied.';

/** 403 Unauthorized: missing role, wrong region, grantless/seller mismatch (details empty) or token problems. */
export function accessDenied(details = ''): ApiError {
  return new ApiError(403, 'Unauthorized', ACCESS_DENIED_MESSAGE, details);
}

export function invalidInput(message: string, details = ''): ApiError {
  return new ApiError(400, 'InvalidInput', message, details);
}

export function notFound(message: string, details = ''): ApiError {
  return new ApiError(404, 'NotFound', message, details);
}

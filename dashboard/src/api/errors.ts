// The API's one error shape (ARCHITECTURE §4.4) and how any failed response becomes one.

/** One field problem of a 422 (config validation, request validation). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** An error returned by the API, or a transport failure described in the same shape. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  readonly correlationId: string | null;

  constructor(
    code: string,
    message: string,
    status: number,
    details: unknown = null,
    correlationId: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.details = details;
    this.correlationId = correlationId;
  }

  /** Field problems carried in `details`, whatever list key the API used. */
  get fieldProblems(): FieldProblem[] {
    return fieldProblemsOf(this.details);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Builds an ApiError from a response and its parsed body (JSON or text). */
export function toApiError(status: number, body: unknown, headers?: Headers): ApiError {
  const headerId = headers?.get("x-correlation-id") ?? null;
  if (isRecord(body) && typeof body.code === "string" && typeof body.message === "string") {
    const id = typeof body.correlation_id === "string" ? body.correlation_id : headerId;
    return new ApiError(body.code, body.message, status, body.details ?? null, id);
  }
  // FastAPI's default `{detail}` or a proxy's HTML page: still shown, never swallowed.
  const detail = isRecord(body) && "detail" in body ? body.detail : body;
  const text =
    typeof detail === "string" && detail.trim() !== "" ? detail.slice(0, 500) : `HTTP ${status}`;
  return new ApiError(`HTTP_${status}`, text, status, isRecord(body) ? body : null, headerId);
}

/** Wraps a network failure (server down, connection refused) in the API's shape. */
export function networkError(cause: unknown): ApiError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new ApiError("NETWORK_ERROR", `the API could not be reached: ${message}`, 0);
}

/** Reads `[{field, message}]` from the details of a validation error. */
export function fieldProblemsOf(details: unknown): FieldProblem[] {
  const list = Array.isArray(details)
    ? details
    : isRecord(details)
      ? (details.errors ?? details.fields ?? details.problems)
      : undefined;
  if (!Array.isArray(list)) return [];
  const out: FieldProblem[] = [];
  for (const item of list) {
    if (!isRecord(item)) continue;
    const message = typeof item.message === "string" ? item.message : typeof item.msg === "string" ? item.msg : null;
    let field: string | null = null;
    if (typeof item.field === "string") field = item.field;
    else if (Array.isArray(item.loc)) field = item.loc.filter((p) => p !== "body").join(".");
    if (field !== null && message !== null) out.push({ field, message });
  }
  return out;
}

/** Normalises anything thrown into an ApiError so every page renders errors one way. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError("CLIENT_ERROR", error instanceof Error ? error.message : String(error), 0);
}

// One way to run a write from a form: refused at once while offline, any failure returned as
// an ApiFailure for the form's error summary (a programming error still surfaces as one). A
// write that went through makes the open screens read again, so the writer sees it at once even
// when the live stream is down.
import { ApiFailure, requireOnline } from './api/client';
import { session } from './session.svelte';

export async function attempt(action: () => Promise<unknown>): Promise<ApiFailure | null> {
  try {
    requireOnline();
    await action();
    session.changes += 1;
    return null;
  } catch (error) {
    if (error instanceof ApiFailure) return error;
    console.error(error);
    return new ApiFailure(null, false);
  }
}

/** A refusal decided here, before sending, shown like the server's 422 for `field`. */
export function invalid(field: string, message: string): ApiFailure {
  return new ApiFailure(
    { type: 'about:blank', title: message, status: 422, code: 'invalid_input', detail: message, errors: [{ field, message }] },
    false,
  );
}

/** A zone for a new account: the device's, which the person can change in settings. */
export function deviceZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/**
 * What a failed read shows: nothing while offline (the app's offline notice says it, and what
 * is on screen stays), else the failure.
 */
export function readFailure(error: unknown): ApiFailure | null {
  if (error instanceof ApiFailure) return error.offline ? null : error;
  console.error(error);
  return new ApiFailure(null, false);
}

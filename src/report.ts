// Where failures go: every one to onError, and each kind once to the logger, with what to do about it.
import type { HubSpotIdentifyError } from './errors.js';

export interface Logger {
  warn(message: string): void;
}

export type Report = (error: HubSpotIdentifyError) => void;

/** Runs a user hook so that nothing it does (throw, reject) reaches the page or the process. */
function contained(hook: () => unknown): void {
  try {
    const result = hook();
    if (typeof (result as Promise<unknown> | undefined)?.then === 'function') (result as Promise<unknown>).then(undefined, () => undefined);
  } catch {
    // A failing onError or logger must not break the page either.
  }
}

export function createReporter(onError: ((error: HubSpotIdentifyError) => void) | undefined, logger: Logger | false): Report {
  const said = new Set<string>();
  return (error) => {
    if (onError) contained(() => onError(error));
    if (logger === false) return;
    const kind = error.status === undefined ? error.code : `${error.code}:${error.status}`;
    if (said.has(kind)) return;
    said.add(kind);
    const where = error.correlationId ? ` (HubSpot correlationId ${error.correlationId})` : '';
    contained(() => logger.warn(`[hubspot-identify] ${error.code}: ${error.message}${where}`));
  };
}

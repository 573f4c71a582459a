// Where failures go: every one to onError, and each kind once to the logger, with what to do about it.
import type { HubSpotIdentifyError } from './errors.js';

export interface Logger {
  warn(message: string): void;
}

export type Report = (error: HubSpotIdentifyError) => void;

export function createReporter(onError: ((error: HubSpotIdentifyError) => void) | undefined, logger: Logger | false): Report {
  const said = new Set<string>();
  return (error) => {
    if (onError) {
      try {
        onError(error);
      } catch {
        // A failing onError must not break the page either.
      }
    }
    if (logger === false) return;
    const kind = error.status === undefined ? error.code : `${error.code}:${error.status}`;
    if (said.has(kind)) return;
    said.add(kind);
    const where = error.correlationId ? ` (HubSpot correlationId ${error.correlationId})` : '';
    logger.warn(`[hubspot-identify] ${error.code}: ${error.message}${where}`);
  };
}

import { TunegateError } from '../contracts/error.js';

/** Codes the HTTP layer itself raises (transport-level problems). */
export type ServerErrorCode =
  | 'api.malformed_json'
  | 'api.payload_too_large'
  | 'api.unsupported_media_type'
  | 'api.bad_request'
  | 'api.route_not_found'
  | 'api.listen_failed';

/** Errors of the HTTP surface. */
export class ServerError extends TunegateError<ServerErrorCode> {}

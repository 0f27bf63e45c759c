export { type Codec, jsonCodec, superjsonCodec } from '../shared/codec.js'
export { isRpcError, RPC_ERROR_CODES, RpcError, type RpcErrorCode } from '../shared/errors.js'
export type { EndpointOptions } from '../shared/options.js'
export { PROTOCOL_VERSION } from '../shared/protocol.js'
export type { BaseContext, CallOptions } from '../shared/session.js'
export type { StandardSchemaV1 } from '../shared/standardSchema.js'
export type { TraceOption } from '../shared/trace.js'
export type {
  ApiOf,
  CannotCross,
  ContextualHandler,
  EventMap,
  EventsOf,
  ReadableStreamLike,
  Remote,
  RemoteStream,
  Wire,
} from '../shared/types.js'
export { type ValidationErrorData, validate } from '../shared/validate.js'
export {
  type Client,
  type ClientOptions,
  type ClientState,
  type ClientView,
  createClient,
  type HostInfo,
  type ReconnectOptions,
} from './createClient.js'
export type { EventsOptions } from './events.js'
export type { ClientCallContext, ClientMiddleware, OutgoingCall } from './middleware.js'
export type { PortFactory, PortLike } from './port.js'
export { type ClientContext, withContext } from './withContext.js'

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
  defineHost,
  type HostContext,
  type HostOptions,
  type ListenOptions,
  NativeHost,
} from './defineHost.js'
export { type AppEndpoint, appEndpoint } from './endpoint.js'
export { type LaunchContext, parseLaunchContext } from './launchContext.js'
export {
  type AddedBy,
  type AnyHostMiddleware,
  type HostCallContext,
  type HostMiddleware,
  type HostNext,
  hostMiddleware,
} from './middleware.js'
export type { AppConnection, ServeOptions } from './serve.js'
export { withContext } from './withContext.js'

/** The native host's name: the extension connects to it, the host manifest registers it. */
export const HOST_NAME = 'com.nmrpc.pingpong'

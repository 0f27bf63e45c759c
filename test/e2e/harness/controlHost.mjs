// The control host: a hand-framed native host (no nmrpc) that relays between a Firefox extension and
// the test, because Firefox has no remote protocol the test could use to run code in the extension.
// Browser side: 4-byte native-endian length + UTF-8 JSON. Test side: a Unix socket carrying one JSON
// object a line, at the path in NMRPC_E2E_CONTROL. Anything the host has to say goes to stderr.
import { connect } from 'node:net'

const socketPath = process.env.NMRPC_E2E_CONTROL
if (!socketPath) {
  process.stderr.write('control host: NMRPC_E2E_CONTROL is not set; the launcher must set it\n')
  process.exit(2)
}

const socket = connect(socketPath)
socket.setEncoding('utf8')

function toBrowser(json) {
  const body = Buffer.from(json, 'utf8')
  const header = Buffer.alloc(4)
  header.writeUInt32LE(body.length, 0)
  process.stdout.write(Buffer.concat([header, body]))
}

let lineBuffer = ''
socket.on('data', (text) => {
  lineBuffer += text
  let nl = lineBuffer.indexOf('\n')
  while (nl >= 0) {
    const line = lineBuffer.slice(0, nl)
    lineBuffer = lineBuffer.slice(nl + 1)
    if (line.length > 0) toBrowser(line)
    nl = lineBuffer.indexOf('\n')
  }
})

const chunks = []
let buffered = 0
process.stdin.on('data', (chunk) => {
  chunks.push(chunk)
  buffered += chunk.length
  if (buffered < 4) return
  let data = Buffer.concat(chunks)
  chunks.length = 0
  while (data.length >= 4) {
    const size = data.readUInt32LE(0)
    if (data.length < 4 + size) break
    socket.write(`${data.subarray(4, 4 + size).toString('utf8')}\n`)
    data = data.subarray(4 + size)
  }
  if (data.length > 0) chunks.push(data)
  buffered = data.length
})

// The browser closing stdin, or the test closing the socket, ends the relay.
process.stdin.on('end', () => socket.end(() => process.exit(0)))
socket.on('close', () => process.exit(0))
socket.on('error', (err) => {
  process.stderr.write(`control host: socket ${socketPath}: ${err.message}\n`)
  process.exit(1)
})

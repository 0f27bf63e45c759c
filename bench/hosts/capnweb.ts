/**
 * Host of the capnweb contender: an `RpcTarget` served by capnweb's `RpcSession` over
 * `CapnwebPortTransport` (its documented transport interface) on a `FramedPort` over stdin/stdout.
 * capnweb carries all four natively: `bytes` returns a Uint8Array (capnweb sends it as base64 inside
 * its JSON), and `stream` returns a `ReadableStream`, which capnweb pulls with its own flow control.
 */
import { RpcSession, RpcTarget } from 'capnweb'
import { CapnwebPortTransport } from '../lib/capnwebPort'
import { FramedPort } from '../lib/framedPort'
import { makeBytes, makeItem } from '../lib/hostWork'

export class CapnwebApi extends RpcTarget {
  add(a: number, b: number): number {
    return a + b
  }
  echo(text: string): string {
    return text
  }
  bytes(length: number): Uint8Array {
    return makeBytes(length)
  }
  stream(total: number, item: number): ReadableStream<string> {
    const data = makeItem(item)
    let sent = 0
    return new ReadableStream<string>({
      pull(controller) {
        if (sent >= total) controller.close()
        else {
          controller.enqueue(data)
          sent += item
        }
      },
    })
  }
}

new RpcSession(new CapnwebPortTransport(new FramedPort(process.stdin, process.stdout)), new CapnwebApi())
process.stdin.on('end', () => process.exit(0))

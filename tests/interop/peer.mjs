// A js-libp2p peer driven over stdin/stdout by the Mero.Network interop tests.
//
//   node --import ./polyfill.mjs peer.mjs [--listen /ip4/127.0.0.1/tcp/0]
//
// On start it prints one JSON line {"event":"ready","peerId":...,"addrs":[...]}.
// Then it reads commands, one per line: `<id> <command> [args...]`, and answers each with
// one JSON line {"id":<id>,"ok":true,...} or {"id":<id>,"ok":false,"error":"..."}.
// Unsolicited events (identify results, connections) are printed as {"event":...} lines.
//
// Commands:
//   dial ADDR               connect; reports remotePeer, encryption and muxer
//   ping TARGET             ping a peer id or multiaddr; reports rtt (ms)
//   identify PEER           identify over the open connection; reports the remote's record
//   peers                   connected peer ids
//   hangup PEER             close all connections to the peer
//   send PEER PROTO BYTES   open PROTO, write BYTES zero bytes, half-close, read the
//                           8-byte big-endian count the remote sends back; reports ms
//   echo PEER PROTO TEXT    open PROTO, write TEXT, half-close, read all; reports the reply
//   stop                    stop the node and exit
// With --gossip (gossipsub service):
//   subscribe TOPIC         join TOPIC; each message arrives as {"event":"message",topic,from,data}
//   publish TOPIC TEXT      publish TEXT (UTF-8); reports recipients
//   publishlat TOPIC SIZE   publish a SIZE-byte message stamped with the send time; receivers
//                           report {"event":"latency","ms":...} instead of a message event
//   topicpeers TOPIC        peers known to be subscribed; mesh TOPIC: current mesh peers
// With --kad PROTOCOL (kad-dht in server mode with PROTOCOL, loopback addresses kept):
//   addpeer PEER ADDR       add a peer to the routing table
//   provide HEX             announce being a provider of the multihash HEX (as a raw CIDv1)
//   providers HEX           find providers of the multihash HEX; reports peer ids
// Protocols served: /ipfs/id/1.0.0, /ipfs/ping/1.0.0, /mero/echo/1.0.0 (echo until EOF),
// /mero/sink/1.0.0 (count bytes until EOF, reply with the 8-byte big-endian count).
import { createInterface } from 'node:readline'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { gossipsub } from '@libp2p/gossipsub'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'

const args = process.argv.slice(2)
const listen = args.includes('--listen') ? args[args.indexOf('--listen') + 1] : '/ip4/127.0.0.1/tcp/0'

const gossip = args.includes('--gossip')
const kad = args.includes('--kad') ? args[args.indexOf('--kad') + 1] : null

const services = { identify: identify(), ping: ping() }
if (gossip) {
  // Many peers share 127.0.0.1 here, so the IP-colocation penalty is off.
  services.pubsub = gossipsub({ allowPublishToZeroTopicPeers: true, scoreParams: { IPColocationFactorWeight: 0 } })
}
if (kad) {
  services.dht = kadDHT({ protocol: kad, clientMode: false, peerInfoMapper: passthroughMapper })
}

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

const node = await createLibp2p({
  addresses: { listen: [listen] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services,
  connectionMonitor: { enabled: false }
})

const identified = new Map()
node.addEventListener('peer:identify', (evt) => {
  const r = identifyJson(evt.detail)
  identified.set(r.peerId, r)
  out({ event: 'identify', ...r })
})
node.addEventListener('connection:open', (evt) => {
  const c = evt.detail
  out({ event: 'connection', peerId: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString(), direction: c.direction, encryption: c.encryption, multiplexer: c.multiplexer })
})

function identifyJson (r) {
  return {
    peerId: r.peerId.toString(),
    agentVersion: r.agentVersion,
    protocolVersion: r.protocolVersion,
    protocols: r.protocols,
    listenAddrs: r.listenAddrs.map(a => a.toString()),
    observedAddr: r.observedAddr?.toString()
  }
}

async function readAll (stream) {
  const chunks = []
  let total = 0
  for await (const buf of stream) {
    const bytes = buf.subarray()
    chunks.push(bytes)
    total += bytes.byteLength
  }
  const all = new Uint8Array(total)
  let off = 0
  for (const c of chunks) { all.set(c, off); off += c.byteLength }
  return all
}

async function sendAll (stream, data) {
  if (!stream.send(data)) {
    await stream.onDrain()
  }
}

await node.handle('/mero/echo/1.0.0', async (stream) => {
  for await (const buf of stream) {
    await sendAll(stream, buf.subarray())
  }
  await stream.close()
})

await node.handle('/mero/sink/1.0.0', async (stream) => {
  let total = 0n
  for await (const buf of stream) {
    total += BigInt(buf.byteLength)
  }
  const reply = new Uint8Array(8)
  new DataView(reply.buffer).setBigUint64(0, total)
  await sendAll(stream, reply)
  await stream.close()
})

if (gossip) {
  node.services.pubsub.addEventListener('message', (evt) => {
    const m = evt.detail
    const now = Date.now()
    const data = new TextDecoder().decode(m.data)
    if (data.startsWith('lat:')) {
      // Benchmark messages carry their send time (epoch ms); report only the latency.
      out({ event: 'latency', ms: now - Number(data.slice(4, data.indexOf('|'))) })
      return
    }
    out({ event: 'message', topic: m.topic, from: m.from?.toString(), data })
  })
}

function cidOf (hex) {
  return CID.createV1(0x55, Digest.decode(Uint8Array.from(Buffer.from(hex, 'hex'))))
}

function target (text) {
  return text.startsWith('/') ? multiaddr(text) : peerIdFromString(text)
}

function connectionTo (peerText) {
  const conns = node.getConnections(peerIdFromString(peerText))
  if (conns.length === 0) throw new Error(`not connected to ${peerText}`)
  return conns[0]
}

const commands = {
  async dial ([addr]) {
    const c = await node.dial(multiaddr(addr), { signal: AbortSignal.timeout(10000) })
    return { remotePeer: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString(), encryption: c.encryption, multiplexer: c.multiplexer }
  },
  async ping ([t]) {
    const rtt = await node.services.ping.ping(target(t), { signal: AbortSignal.timeout(10000) })
    return { rtt }
  },
  async identify ([peer]) {
    const r = await node.services.identify.identify(connectionTo(peer), { signal: AbortSignal.timeout(10000) })
    return identifyJson(r)
  },
  async identified ([peer]) {
    const r = identified.get(peer)
    if (r == null) throw new Error(`no identify result for ${peer} yet`)
    return r
  },
  async peers () {
    return { peers: node.getPeers().map(p => p.toString()) }
  },
  async hangup ([peer]) {
    await node.hangUp(peerIdFromString(peer))
    return {}
  },
  async send ([peer, proto, bytes]) {
    const total = Number(bytes)
    const stream = await connectionTo(peer).newStream(proto, { signal: AbortSignal.timeout(10000) })
    const chunk = new Uint8Array(64 * 1024)
    const start = performance.now()
    for (let sent = 0; sent < total; sent += chunk.byteLength) {
      await sendAll(stream, chunk.subarray(0, Math.min(chunk.byteLength, total - sent)))
    }
    await stream.close()
    const reply = await readAll(stream)
    const ms = performance.now() - start
    const count = reply.byteLength === 8 ? Number(new DataView(reply.buffer).getBigUint64(0)) : -1
    return { ms, count }
  },
  async echo ([peer, proto, ...text]) {
    const stream = await connectionTo(peer).newStream(proto, { signal: AbortSignal.timeout(10000) })
    await sendAll(stream, new TextEncoder().encode(text.join(' ')))
    await stream.close()
    const reply = await readAll(stream)
    return { reply: new TextDecoder().decode(reply) }
  },
  async subscribe ([topic]) {
    node.services.pubsub.subscribe(topic)
    return {}
  },
  async publish ([topic, ...text]) {
    const r = await node.services.pubsub.publish(topic, new TextEncoder().encode(text.join(' ')))
    return { recipients: r.recipients.map(p => p.toString()) }
  },
  async publishlat ([topic, size]) {
    // A 1 KB-style benchmark message stamped with the send time, padded to SIZE bytes.
    const head = `lat:${Date.now()}|`
    const r = await node.services.pubsub.publish(topic, new TextEncoder().encode(head.padEnd(Number(size), 'x')))
    return { recipients: r.recipients.length }
  },
  async topicpeers ([topic]) {
    return { peers: node.services.pubsub.getSubscribers(topic).map(p => p.toString()) }
  },
  async mesh ([topic]) {
    return { peers: node.services.pubsub.getMeshPeers(topic) }
  },
  async addpeer ([peer, addr]) {
    await node.peerStore.merge(peerIdFromString(peer), { multiaddrs: [multiaddr(addr)] })
    await node.services.dht.routingTable.add(peerIdFromString(peer))
    return {}
  },
  async provide ([hex]) {
    for await (const e of node.services.dht.provide(cidOf(hex), { signal: AbortSignal.timeout(20000) })) { void e }
    return {}
  },
  async providers ([hex]) {
    const found = new Set()
    for await (const e of node.services.dht.findProviders(cidOf(hex), { signal: AbortSignal.timeout(20000) })) {
      if (e.name === 'PROVIDER') for (const p of e.providers) found.add(p.id.toString())
    }
    return { providers: [...found] }
  },
  async stop () {
    await node.stop()
    setTimeout(() => process.exit(0), 10)
    return {}
  }
}

out({ event: 'ready', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map(a => a.toString()) })

const rl = createInterface({ input: process.stdin })
rl.on('line', (line) => {
  const parts = line.trim().split(/\s+/)
  if (parts.length < 2) return
  const [id, name, ...rest] = parts
  const fn = commands[name]
  if (fn == null) {
    out({ id: Number(id), ok: false, error: `unknown command ${name}` })
    return
  }
  fn(rest).then(
    (result) => out({ id: Number(id), ok: true, ...result }),
    (err) => out({ id: Number(id), ok: false, error: `${err.name}: ${err.message}` })
  )
})
rl.on('close', () => { node.stop().finally(() => process.exit(0)) })

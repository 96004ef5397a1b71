// Replays a sequential editing trace (josephg/editing-traces format) through Yjs, the way
// crdt-benchmarks B4 does: one Y.Doc, one transaction per patch list. Prints one JSON line.
// Usage: node trace.mjs FILE.json.gz [--runs N]
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import { performance } from 'node:perf_hooks'
import * as Y from 'yjs'

const args = process.argv.slice(2)
const file = args.find((a) => !a.startsWith('--'))
if (!file) {
  console.error('usage: node trace.mjs FILE.json.gz [--runs N]')
  process.exit(2)
}
const runsIdx = args.indexOf('--runs')
const runs = runsIdx >= 0 ? Number(args[runsIdx + 1]) : 5

const trace = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'))
const txns = trace.txns
const ops = txns.reduce((n, t) => n + t.patches.length, 0)

// Trace positions count code points; Y.Text counts UTF-16 units. They agree unless the
// trace contains astral characters, in which case we convert (slowly, but correctly).
const astral = /[\uD800-\uDFFF]/
const needsConversion = astral.test(trace.endContent) ||
  txns.some((t) => t.patches.some((p) => astral.test(p[2])))

const toUtf16 = (text, cp) => {
  let i = 0
  for (let n = 0; n < cp; n++) i += text.codePointAt(i) > 0xffff ? 2 : 1
  return i
}

function replay () {
  const doc = new Y.Doc()
  const text = doc.getText('text')
  if (trace.startContent) text.insert(0, trace.startContent)
  const start = performance.now()
  for (const txn of txns) {
    doc.transact(() => {
      for (const [pos, del, ins] of txn.patches) {
        if (needsConversion) {
          const s = text.toString()
          const at = toUtf16(s, pos)
          const end = toUtf16(s.slice(at), del) + at
          if (del > 0) text.delete(at, end - at)
          if (ins) text.insert(at, ins)
        } else {
          if (del > 0) text.delete(pos, del)
          if (ins) text.insert(pos, ins)
        }
      }
    })
  }
  const ms = performance.now() - start
  return { doc, text, ms }
}

replay() // warm-up
let best = Infinity
let last
for (let r = 0; r < runs; r++) {
  last = replay()
  best = Math.min(best, last.ms)
}
const ok = last.text.toString() === trace.endContent
const bytes = Y.encodeStateAsUpdate(last.doc).length
console.log(JSON.stringify({ ops, ms: Math.round(best * 10) / 10, bytes, ok }))

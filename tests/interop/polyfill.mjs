// Node 20 lacks Promise.withResolvers (Node 22+), which current js-libp2p calls.
// Loaded with `node --import ./polyfill.mjs peer.mjs`, before any libp2p module.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve
    let reject
    const promise = new this((res, rej) => {
      resolve = res
      reject = rej
    })
    return { promise, resolve, reject }
  }
}

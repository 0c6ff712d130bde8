/**
 * Stands in for 'tunnel' in the bundle (tsconfig.json "paths"), like undici-unused.ts.
 *
 * @actions/http-client imports tunnel at load time, and tunnel loads node:assert with it, but a
 * tunnel agent is only built when https_proxy is set. Loading it on first use instead saves about
 * a millisecond on every job that has no proxy (see README, Performance); behind a proxy the same
 * tunnel code runs as before. The subpath does not match the "paths" entry, so it is the real module.
 */
'use strict'

let tunnel
const load = () => (tunnel ??= require('tunnel/lib/tunnel.js'))

exports.httpOverHttp = options => load().httpOverHttp(options)
exports.httpsOverHttp = options => load().httpsOverHttp(options)
exports.httpOverHttps = options => load().httpOverHttps(options)
exports.httpsOverHttps = options => load().httpsOverHttps(options)

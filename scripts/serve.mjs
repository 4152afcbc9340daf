// A tiny static server on 127.0.0.1 for the browser test and the browser benchmark.
// Serves only the routes it is given (URL prefix → directory, or exact URL → file, or
// exact URL → { body, type }), never the whole repository.
import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'

const TYPES = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.html': 'text/html',
  '.json': 'application/json',
  '.map': 'application/json',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.md': 'text/plain; charset=utf-8',
}

/**
 * Starts the server; resolves to { url, close }.
 * routes: { '/dist/browser/': '/abs/dir', '/gpu.js': '/abs/file.js', '/': { body, type } }
 * options.port: the port to listen on (default 0: any free port).
 */
export function serve(routes, { port = 0 } = {}) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname)
    try {
      for (const [prefix, target] of Object.entries(routes)) {
        if (typeof target === 'object' && path === prefix) {
          res.writeHead(200, { 'content-type': target.type ?? 'text/html', 'cache-control': 'no-store' })
          return res.end(target.body)
        }
        if (typeof target === 'string' && (prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix)) {
          const file = prefix.endsWith('/') ? normalize(join(target, path.slice(prefix.length))) : target
          if (prefix.endsWith('/') && !file.startsWith(normalize(target) + sep)) break
          const body = await readFile(file)
          res.writeHead(200, {
            'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
            'cache-control': 'no-store',
          })
          return res.end(body)
        }
      }
      res.writeHead(404).end('not found')
    } catch {
      res.writeHead(404).end('not found')
    }
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const { port } = server.address()
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) })
    })
  })
}

/** Chromium flags for a headless WebGL2 through SwiftShader (no GPU, no network chatter). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--use-gl=angle',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
]

/**
 * Chromium flags for pages that need no WebGL (the demo site): no GPU at all, so that the page is
 * composited by the software rasterizer. With SwiftShader's emulated GL the compositing alone
 * made an idle canvas page draw a frame every ~150 ms on a busy 2-core machine (16.7 ms without).
 */
export const CHROMIUM_ARGS_NO_GPU = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-gpu',
]

/** Launches Debian's chromium through playwright-core (never a Playwright browser download). */
export async function launchChromium({ args = CHROMIUM_ARGS } = {}) {
  const { chromium } = await import('playwright-core')
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
  try {
    return await chromium.launch({ executablePath, args, headless: true })
  } catch (e) {
    throw new Error(
      `could not start ${executablePath} (install it with: apt-get install -y chromium): ${e.message.split('\n')[0]}`,
      { cause: e },
    )
  }
}

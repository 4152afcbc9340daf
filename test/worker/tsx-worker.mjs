// Test helper: the module a Node training worker starts with when the spec is TypeScript.
// It registers tsx in the worker (Node 20 does not pass `--import tsx` loaders on to workers)
// and imports the spec module named by the first argv: `workerOptions: { argv: [specPath] }`.
import { pathToFileURL } from 'node:url'
import { tsImport } from 'tsx/esm/api'

await tsImport(pathToFileURL(process.argv[2]).href, import.meta.url)

/**
 * The server's OpenAPI document (api/openapi.json, regenerated from the built
 * binary by scripts/test) as a judge of answers: an operation must exist for
 * the method and path, the status must be one it documents, every `code` —
 * the problem's and each field error's — must be in `x-error-codes`, and a
 * JSON body must match the documented schema. The in-memory fake server runs
 * every answer it gives through this, so it cannot drift from the real one
 * without a test failing.
 */
import Ajv, { type ValidateFunction } from 'ajv'
import * as fs from 'fs'
import * as path from 'path'

type Json = Record<string, any>

const doc: Json = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../api/openapi.json'), 'utf8'))

const PREFIX: string = doc.servers?.[0]?.url ?? ''
const CODES = new Set<string>(doc['x-error-codes'])

// OpenAPI 3.0 schemas are JSON Schema with extras (`nullable`, `example`, formats
// ajv does not ship): not strict, formats not checked (ajv knows `nullable`).
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true })
ajv.addSchema(doc as Json, 'openapi.json')

interface Operation {
  template: string
  pattern: RegExp
  method: string
  responses: Json
}

const OPERATIONS: Operation[] = Object.entries(doc.paths as Json).flatMap(([template, ops]) =>
  Object.entries(ops as Json).map(([method, op]) => ({
    template,
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`),
    method: method.toUpperCase(),
    responses: (op as Json).responses,
  })),
)

/** The operation the server would route `method path` to (a literal path wins over a template). */
export function operationFor(method: string, path: string): Operation | undefined {
  const hits = OPERATIONS.filter((o) => o.method === method && o.pattern.test(path))
  return hits.find((o) => o.template === path) ?? hits.sort((a, b) => b.template.length - a.template.length)[0]
}

const validators = new Map<string, ValidateFunction>()

function validatorFor(ref: string): ValidateFunction {
  let v = validators.get(ref)
  if (!v) {
    v = ajv.compile({ $ref: `openapi.json${ref}` })
    validators.set(ref, v)
  }
  return v
}

/** Every way `status`/`body` for `method path` breaks the document; empty when it holds. */
export function contractViolations(method: string, path: string, status: number, body: unknown): string[] {
  const where = `${method} ${PREFIX}${path} → ${status}`
  const op = operationFor(method, path)
  if (!op) return [`${method} ${PREFIX}${path}: no such operation in the OpenAPI document`]
  const response = op.responses[String(status)]
  if (!response) return [`${where}: status not documented (documented: ${Object.keys(op.responses).join(', ')})`]
  const problems: string[] = []
  if (status >= 400) {
    const p = body as Json
    if (!p || typeof p.code !== 'string') problems.push(`${where}: a problem without a code`)
    else if (!CODES.has(p.code)) problems.push(`${where}: code ${p.code} is not in x-error-codes`)
    for (const e of (p?.errors ?? []) as Json[]) {
      if (!CODES.has(e.code)) problems.push(`${where}: field ${e.field}'s code ${e.code} is not in x-error-codes`)
    }
  }
  const content = response.content as Json | undefined
  const json = content && Object.entries(content).find(([type]) => /json/.test(type))
  const ref = json && ((json[1] as Json).schema?.$ref as string | undefined)
  if (ref && body !== undefined && typeof body !== 'string') {
    const validate = validatorFor(ref)
    if (!validate(body)) {
      for (const e of validate.errors ?? []) problems.push(`${where}: body${e.instancePath} ${e.message}`)
    }
  }
  return problems
}

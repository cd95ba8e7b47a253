#!/usr/bin/env node
// Configures the mini-program's build from the environment (README.md,
// "Building for each version"): the appid in project.config.json and the
// server address of each version in miniprogram/env.ts.
//
//   YAOJIAN_MP_APPID            the mini-program's appid (default: touristappid)
//   YAOJIAN_MP_API_DEVELOP      server for DevTools and previews (default: local)
//   YAOJIAN_MP_API_TRIAL        server for 体验版 (HTTPS; default: the develop one)
//   YAOJIAN_MP_API_RELEASE      server for 正式版 (HTTPS; required for a release build)
//
// Usage: node scripts/configure.js [--release]
'use strict'
const fs = require('fs')
const path = require('path')

const LOCAL = 'http://127.0.0.1:8080/api/v1'

/** The settings, checked: WeChat calls only HTTPS outside DevTools. */
function settings(env, { release = false } = {}) {
  const clean = (v) => (v || '').trim().replace(/\/+$/, '')
  const develop = clean(env.YAOJIAN_MP_API_DEVELOP) || LOCAL
  const trial = clean(env.YAOJIAN_MP_API_TRIAL) || develop
  const releaseUrl = clean(env.YAOJIAN_MP_API_RELEASE) || (release ? '' : develop)
  const appid = (env.YAOJIAN_MP_APPID || 'touristappid').trim()
  for (const [name, url] of [['YAOJIAN_MP_API_DEVELOP', develop], ['YAOJIAN_MP_API_TRIAL', trial], ['YAOJIAN_MP_API_RELEASE', releaseUrl]]) {
    if (!url) throw new Error(`${name} is required for a release build`)
    if (!/^https?:\/\/[^/\s]+(\/\S*)?$/.test(url)) throw new Error(`${name} is not a URL: ${url}`)
    if (!url.endsWith('/api/v1')) throw new Error(`${name} must end with /api/v1: ${url}`)
  }
  if (release) {
    for (const [name, url] of [['YAOJIAN_MP_API_TRIAL', trial], ['YAOJIAN_MP_API_RELEASE', releaseUrl]]) {
      if (!url.startsWith('https://')) throw new Error(`${name} must be https:// for trial and release: ${url}`)
    }
    if (!/^wx[0-9a-f]{16}$/.test(appid)) throw new Error(`YAOJIAN_MP_APPID is not an appid: ${appid}`)
  }
  return { appid, servers: { develop, trial, release: releaseUrl } }
}

function renderEnv(servers) {
  return `// Written by \`npm run configure\` (scripts/configure.js) from the variables
// README.md names; edit those and rerun it rather than this file.
export const SERVERS = {
  develop: '${servers.develop}',
  trial: '${servers.trial}',
  release: '${servers.release}',
} as const
`
}

function main() {
  const root = path.resolve(__dirname, '..')
  const s = settings(process.env, { release: process.argv.includes('--release') })
  fs.writeFileSync(path.join(root, 'miniprogram/env.ts'), renderEnv(s.servers))
  const projectPath = path.join(root, 'project.config.json')
  const project = JSON.parse(fs.readFileSync(projectPath, 'utf8'))
  project.appid = s.appid
  fs.writeFileSync(projectPath, JSON.stringify(project, null, 2) + '\n')
  console.log(`configured appid ${s.appid}; servers ${JSON.stringify(s.servers)}`)
}

module.exports = { settings, renderEnv }
if (require.main === module) {
  try {
    main()
  } catch (e) {
    console.error(`configure: ${e.message}`)
    process.exit(1)
  }
}

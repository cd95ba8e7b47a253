#!/usr/bin/env node
/**
 * Builds miniprogram/miniprogram_npm/ from miniprogram/package.json without
 * WeChat DevTools ("构建 npm"), using miniprogram-ci's packNpmManually.
 * miniprogram-ci is large, so it is not a devDependency of the tests: it is
 * installed on first use into .tools/ (git-ignored).
 *   npm run pack:npm
 */
const { execFileSync } = require('child_process')
const fs = require('fs')
const path = require('path')

const miniapp = path.resolve(__dirname, '..')
const root = path.join(miniapp, 'miniprogram')
const tools = path.join(miniapp, '.tools')
const npm = (args, cwd) => execFileSync('npm', args.concat(['--no-audit', '--no-fund']), { cwd, stdio: 'inherit' })

npm(['install', '--omit=dev', '--no-package-lock'], root)
if (!fs.existsSync(path.join(tools, 'node_modules', 'miniprogram-ci'))) {
  fs.mkdirSync(tools, { recursive: true })
  npm(['install', '--prefix', tools, '--no-package-lock', 'miniprogram-ci@2'], miniapp)
}

const ci = require(path.join(tools, 'node_modules', 'miniprogram-ci'))
ci.packNpmManually({
  packageJsonPath: path.join(root, 'package.json'),
  miniprogramNpmDistDir: root,
}).then(
  (r) => console.log('miniprogram_npm packed:', JSON.stringify(r)),
  (e) => {
    console.error(e)
    process.exit(1)
  },
)

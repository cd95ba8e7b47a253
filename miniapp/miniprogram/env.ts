// Written by `npm run configure` (scripts/configure.js) from the variables
// README.md names; edit those and rerun it rather than this file.
export const SERVERS = {
  develop: 'http://127.0.0.1:8080/api/v1',
  trial: 'http://127.0.0.1:8080/api/v1',
  release: 'http://127.0.0.1:8080/api/v1',
} as const

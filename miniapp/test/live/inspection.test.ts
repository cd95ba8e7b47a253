/**
 * The district side against a real `yaojian serve`: an inspector signs in
 * with WeChat, finds the pharmacy, sees the sale a clerk just registered,
 * takes a photo and records an inspection through the draft outbox — with
 * the answer lost once on the way, and still one inspection on the server.
 */
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as fs from 'fs'
import { installLiveWx, type LiveWx } from './wx-live'
import { useLiveServer } from './server'
import { idNumber, photoFile, saleOf } from './fixtures'
import type * as AuthModule from '../../miniprogram/api/auth'
import type * as ScanModule from '../../miniprogram/api/scan'
import type * as InspectionModule from '../../miniprogram/api/inspection'
import type * as RequestModule from '../../miniprogram/api/request'
import type * as QueueModule from '../../miniprogram/utils/queue'
import type * as DraftModule from '../../miniprogram/utils/inspection-draft'
import type * as SessionModule from '../../miniprogram/utils/session'

const live = useLiveServer()
let m: LiveWx
let auth: typeof AuthModule
let scan: typeof ScanModule
let inspection: typeof InspectionModule
let request: typeof RequestModule
let queue: typeof QueueModule
let drafts: typeof DraftModule
let session: typeof SessionModule

function startApp(storage?: Map<string, string>) {
  jest.resetModules()
  m = installLiveWx(live.server.origin, storage)
  auth = require('../../miniprogram/api/auth')
  scan = require('../../miniprogram/api/scan')
  inspection = require('../../miniprogram/api/inspection')
  request = require('../../miniprogram/api/request')
  queue = require('../../miniprogram/utils/queue')
  drafts = require('../../miniprogram/utils/inspection-draft')
  session = require('../../miniprogram/utils/session')
}

beforeEach(() => startApp())

/** The demo inspector of 江岸区, bound to this WeChat account by seed-demo. */
const INSPECTOR_CODE = 'openid:oDEMO_inspector_0000000000'

async function signInAs(code: string): Promise<void> {
  session.clearSession()
  m.wxCode = code
  expect((await auth.signIn()).bound).toBe(true)
}

describe('on-site inspection', () => {
  it('the inspector sees the pharmacy and its sale, and an inspection with a photo is recorded once through a lost answer', async () => {
    // A sale at 江岸区民生大药房 by its clerk.
    await signInAs('any-code')
    const token = (await scan.scanReader({ kind: 'id_card', fields: { name: '李四', id_number: idNumber('19700301') } })).scan_token
    const sale = await queue.submitSale(saleOf('sale', token, 1))
    if (sale.outcome !== 'created') throw new Error('the sale was not created')

    await signInAs(INSPECTOR_CODE)
    expect(session.getUser()?.role).toBe('inspector')
    const found = await inspection.searchPharmacies('民生')
    const pharmacy = found.items.find((p) => p.id === sale.registration.pharmacy_id)
    if (!pharmacy) throw new Error(`民生 not found among ${found.items.map((p) => p.name).join(', ')}`)
    expect(pharmacy.district_code).toBe('420102')

    const detail = await inspection.getPharmacy(pharmacy.id)
    expect(detail.recent_registrations[0].id).toBe(sale.registration.id) // the newest, above the demo week's
    const regs = await inspection.pharmacyRegistrations(pharmacy.id, {})
    expect(regs.items[0].id).toBe(sale.registration.id)

    const inspections = async () => Number((await live.server.sql<{ n: string }>('SELECT count(*) AS n FROM inspection'))[0].n)
    const before = await inspections()
    // The form: a finding, a disposition, a shelf photo; submit loses the answer once.
    const photo = photoFile()
    const draft: DraftModule.Draft = {
      ...drafts.openDraft(pharmacy.id, pharmacy.name),
      result: 'issues_found',
      findings: '登记台账中两笔记录缺少批号',
      disposition: 'rectify',
      photos: [{ path: photo, status: 'uploading' }],
    }
    let lose = true
    m.fault = (req) => {
      if (req.method === 'POST' && req.path.endsWith('/inspections') && lose) {
        lose = false
        return 'timeout-after'
      }
      return undefined
    }
    const first = await drafts.submitDraft(draft)
    expect([first.outcome, first.outcome === 'created' ? '' : first.message]).toEqual(['unsent', expect.stringContaining('未收到服务器回复')])
    expect(drafts.pendingDrafts()).toHaveLength(1)

    const flushed = await drafts.flushDrafts()
    expect([flushed.created.length, flushed.pending]).toEqual([1, 0])
    const recorded = flushed.created[0]
    expect([recorded.result, recorded.disposition, recorded.findings]).toEqual(['issues_found', 'rectify', '登记台账中两笔记录缺少批号'])
    expect(recorded.photos).toHaveLength(1)

    expect(await inspections()).toBe(before + 1)
    expect((await inspection.getPharmacy(pharmacy.id)).inspections[0].id).toBe(recorded.id)

    // The photo's thumbnail downloads with the inspector's token, as the page shows it.
    const file = await request.download(recorded.photos[0].thumbnail_url)
    expect(fs.readFileSync(file).length).toBeGreaterThan(0)
  })

  it('a refusal is shown on the draft with its field, never retried', async () => {
    await signInAs(INSPECTOR_CODE)
    const found = await inspection.searchPharmacies('民生')
    const pharmacy = found.items[0]
    const draft: DraftModule.Draft = {
      ...drafts.openDraft(pharmacy.id, pharmacy.name),
      result: 'issues_found',
      findings: '   ',
      disposition: 'rectify',
    }
    const count = async () => (await live.server.sql<{ n: string }>('SELECT count(*) AS n FROM inspection'))[0].n
    const before = await count()
    const r = await drafts.submitDraft(draft)
    expect(r.outcome).toBe('refused')
    const kept = drafts.loadDraft(pharmacy.id)!
    expect(kept.pending).toBe(false)
    expect(kept.refused?.code).toBeTruthy()
    expect(Object.keys(kept.refused!.fields)).toContain('findings')
    expect((await drafts.flushDrafts()).created).toEqual([])
    expect(await count()).toBe(before)
  })

  it('a pharmacy of another district is not the inspector’s to see', async () => {
    await signInAs(INSPECTOR_CODE)
    const [other] = await live.server.sql<{ pharmacy_id: string }>("SELECT pharmacy_id FROM pharmacy WHERE district_code <> '420102' LIMIT 1")
    const e = await inspection.getPharmacy(other.pharmacy_id).then(
      () => null,
      (err) => err,
    )
    expect(e?.status).toBe(404)
  })
})

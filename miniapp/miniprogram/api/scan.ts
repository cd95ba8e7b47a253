/** Identity scans: a card photo (server-side OCR) or a card reader's decoded fields. */
import { call, upload } from './request'
import type { IdCardReaderFields, ScanResult, SsCardReaderFields } from './contract'

export type CardKind = 'id_card' | 'ss_card'

export function scanPhoto(kind: CardKind, filePath: string): Promise<ScanResult> {
  return kind === 'id_card' ? upload('/scan/id-card', filePath, 'image') : upload('/scan/ss-card', filePath, 'image')
}

export type ReaderFields =
  | { kind: 'id_card'; fields: IdCardReaderFields }
  | { kind: 'ss_card'; fields: SsCardReaderFields }

export function scanReader(r: ReaderFields): Promise<ScanResult> {
  return r.kind === 'id_card'
    ? call({ method: 'post', path: '/scan/id-card', body: { card_reader: r.fields } })
    : call({ method: 'post', path: '/scan/ss-card', body: { card_reader: r.fields } })
}

/** The drug catalogue, looked up by the barcode scanned at the counter. */
import { call } from './request'
import type { Drug } from './contract'

export function drugByBarcode(barcode: string): Promise<Drug> {
  return call({ method: 'get', path: '/drugs/by-barcode/{barcode}', params: { barcode } })
}

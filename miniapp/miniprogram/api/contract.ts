/**
 * Type helpers over the generated `schema.d.ts` (openapi-typescript output of
 * the server's OpenAPI document). Every endpoint wrapper names its path and
 * method through these, so a contract change the client does not follow
 * fails `tsc --noEmit`.
 */
import type { components, paths } from './schema'

export type Schemas = components['schemas']
export type Path = keyof paths
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'

type Operation<P extends Path, M extends Method> = paths[P][M] extends infer O
  ? O extends { responses: unknown } ? O : never
  : never

type JsonOf<R> = R extends { content: infer C } ? C[keyof C] : undefined

/** The success (200/201/204) body of an operation. */
export type Ok<P extends Path, M extends Method> = Operation<P, M>['responses'] extends infer R
  ? R extends { 200: infer A } ? JsonOf<A>
  : R extends { 201: infer A } ? JsonOf<A>
  : R extends { 204: unknown } ? undefined
  : never
  : never

/** The JSON request body of an operation. */
export type Body<P extends Path, M extends Method> = Operation<P, M> extends {
  requestBody?: { content: infer C }
}
  ? C[keyof C]
  : never

/** The query parameters of an operation. */
export type Query<P extends Path, M extends Method> = Operation<P, M> extends {
  parameters: { query?: infer Q }
}
  ? NonNullable<Q>
  : never

export type Drug = Schemas['Drug']
export type ScanResult = Schemas['ScanResult']
export type SalesPolicy = Schemas['SalesPolicy']
export type NewRegistration = Schemas['NewRegistration']
export type NewItem = Schemas['NewItem']
export type Registration = Schemas['Registration']
export type RegistrationPage = Schemas['Page_Registration']
export type User = Schemas['User']
export type Role = Schemas['Role']
export type Staff = Schemas['Staff']
export type Invited = Schemas['Invited']
export type Problem = Schemas['Problem']
export type FieldError = Schemas['FieldError']
export type WechatLoginResult = Schemas['WechatLoginResult']
export type IdCardReaderFields = Schemas['IdCardReaderFields']
export type SsCardReaderFields = Schemas['SsCardReaderFields']
export type PharmacySummary = Schemas['PharmacySummary']
export type PharmacyPage = Schemas['Page_PharmacySummary']
export type PharmacyDetail = Schemas['PharmacyDetail']
export type RefusedAttempt = Schemas['RefusedAttempt']
export type Inspection = Schemas['Inspection']
export type NewInspection = Schemas['NewInspection']
export type InspectionResult = Schemas['InspectionResult']
export type Disposition = Schemas['Disposition']
export type PhotoRef = Schemas['PhotoRef']
export type Alert = Schemas['Alert']
export type AlertPage = Schemas['Page_Alert']
export type AlertKind = Schemas['AlertKind']
export type AlertStatus = Schemas['AlertStatus']

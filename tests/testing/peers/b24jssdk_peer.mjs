// @bitrix24/b24jssdk against the loopback portal over HTTPS; prints one JSON object.
import { B24Hook } from '@bitrix24/b24jssdk'

const b24 = B24Hook.fromWebhookUrl(process.argv[2])
const out = {}
const size = (r) => (r.isSuccess ? r.getData().length : r.getErrorMessages())
out.v2Items = size(await b24.actions.v2.callList.make({
  method: 'crm.item.list', params: { entityTypeId: 2, select: ['id'] }, idKey: 'id', customKeyForResult: 'items' }))
out.v2Deals = size(await b24.actions.v2.callList.make({ method: 'crm.deal.list', params: { select: ['ID'] } }))
out.v2Tasks = size(await b24.actions.v2.callList.make({
  method: 'tasks.task.list', params: {}, idKey: 'id', cursorIdKey: 'ID', customKeyForResult: 'tasks' }))
out.v3Tasks = size(await b24.actions.v3.callList.make({
  method: 'tasks.task.list', params: { select: ['id'] }, idKey: 'id', customKeyForResult: 'items', limit: 100 }))
const batch = await b24.actions.v2.batch.make({
  calls: { a: ['crm.deal.get', { id: 1 }], b: ['crm.item.get', { entityTypeId: 2, id: 999999 }] },
  options: { isHaltOnError: false } })
out.v2BatchErrors = batch.getErrorMessages().length
const v3batch = await b24.actions.v3.batch.make({ calls: [['tasks.task.get', { id: 1 }], ['tasks.task.get', { id: 2 }]] })
out.v3Batch = v3batch.isSuccess ? Object.keys(v3batch.getData()).length : v3batch.getErrorMessages()
try {
  const r = await b24.actions.v2.call.make({ method: 'crm.item.get', params: { entityTypeId: 2, id: 99999 } })
  out.error = r.isSuccess ? null : r.getErrorMessages()
} catch (e) { out.error = e.code }
console.log(JSON.stringify(out))

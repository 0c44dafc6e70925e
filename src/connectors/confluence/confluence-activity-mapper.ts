// Maps one version of a Confluence page or blog post to an EventDraft: version 1 is the creation, later ones updates.
// Only titles, ids, space keys and version numbers are kept; never bodies or version messages.
import { Pipeline, Product, type EventDraft } from '../../events/event.js'
import type { SiteConfig } from '../connector.js'
import { asRecord, asString, shortText, siteHost } from '../jira/site-api.js'

export const CONFLUENCE_ACTIVITY_SOURCE = 'confluence-activity'

export interface ContentRef {
  id: string
  type: 'page' | 'blogpost'
  title: string | null
  spaceKey: string | null
}

export function contentUrl (site: SiteConfig, content: ContentRef): string {
  const host = siteHost(site)
  const id = encodeURIComponent(content.id)
  if (content.spaceKey === null) return `https://${host}/wiki/pages/viewpage.action?pageId=${id}`
  const space = encodeURIComponent(content.spaceKey)
  return content.type === 'page' ? `https://${host}/wiki/spaces/${space}/pages/${id}` : `https://${host}/wiki/spaces/${space}/blog/${id}`
}

/** Accepts a v2 version ({number, createdAt, authorId}) or a v1 one ({number, when, by{accountId}}). */
export function mapContentVersion (content: ContentRef, raw: unknown, site: SiteConfig): EventDraft | null {
  const version = asRecord(raw)
  const number = typeof version.number === 'number' ? version.number : Number(asString(version.number) ?? NaN)
  const at = version.createdAt ?? version.when
  if (!Number.isInteger(number) || number < 1 || (typeof at !== 'string' && typeof at !== 'number')) return null
  const by = asRecord(version.by)
  const authorId = asString(version.authorId) ?? asString(by.accountId)
  const created = number === 1
  const noun = content.type === 'page' ? 'Page' : 'Blog post'
  const operation = `${content.type}_${created ? 'created' : 'updated'}`
  return {
    site: site.id,
    product: Product.Confluence,
    pipeline: Pipeline.Activity,
    source: CONFLUENCE_ACTIVITY_SOURCE,
    source_record_id: `${content.type}:${content.id}:v${number}`,
    occurred_at: at,
    operation,
    actor: authorId !== null ? { account_id: authorId, ...(asString(by.displayName) !== null ? { display_name: asString(by.displayName) } : {}) } : null,
    object: { type: content.type, id: content.id, name: content.title, container: content.spaceKey, url: contentUrl(site, content) },
    changes: created ? [] : [{ field: 'version', from: String(number - 1), to: String(number) }],
    summary: shortText(`${noun} ${created ? 'created' : `updated to version ${number}`}${content.spaceKey !== null ? ` in ${content.spaceKey}` : ''}`) ?? noun
  }
}

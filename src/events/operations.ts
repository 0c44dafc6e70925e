// The operations table: normalised verb → category and severity. Ingest derives both from here so that every
// connector rates the same change the same way. Kept in sync with the table in README.md (a test checks it).
import { Category, Pipeline, Severity } from './event.js'

export interface OperationRating {
  category: Category
  severity: Severity
}

const sec = (severity: Severity): OperationRating => ({ category: Category.Security, severity })
const con = (severity: Severity): OperationRating => ({ category: Category.Content, severity })

export const OPERATIONS: Readonly<Record<string, OperationRating>> = Object.freeze({
  // Access control: who may do what.
  permission_changed: sec(Severity.High),
  permission_scheme_changed: sec(Severity.High),
  admin_role_granted: sec(Severity.High),
  admin_role_revoked: sec(Severity.High),
  product_access_granted: sec(Severity.High),
  product_access_revoked: sec(Severity.Medium),
  space_permission_changed: sec(Severity.High),
  repository_permission_changed: sec(Severity.High),
  branch_restriction_changed: sec(Severity.High),
  security_policy_changed: sec(Severity.High),
  api_token_created: sec(Severity.High),
  api_token_revoked: sec(Severity.Medium),
  // Accounts and groups.
  user_created: sec(Severity.Medium),
  user_updated: sec(Severity.Low),
  user_deactivated: sec(Severity.High),
  user_reactivated: sec(Severity.Medium),
  user_deleted: sec(Severity.High),
  email_changed: sec(Severity.Medium),
  group_created: sec(Severity.Medium),
  group_deleted: sec(Severity.High),
  group_membership_changed: sec(Severity.Medium),
  // Authentication.
  login: sec(Severity.Low),
  logout: sec(Severity.Low),
  login_failed: sec(Severity.Medium),
  password_reset: sec(Severity.Medium),
  two_step_verification_changed: sec(Severity.High),
  // Configuration.
  settings_changed: sec(Severity.Medium),
  workflow_changed: sec(Severity.Medium),
  project_created: con(Severity.Low),
  project_updated: con(Severity.Low),
  project_deleted: con(Severity.High),
  space_created: con(Severity.Low),
  space_updated: con(Severity.Low),
  space_deleted: con(Severity.High),
  repository_created: con(Severity.Low),
  repository_deleted: con(Severity.High),
  public_link_created: sec(Severity.High),
  data_exported: sec(Severity.High),
  // Content activity.
  issue_created: con(Severity.Low),
  issue_updated: con(Severity.Low),
  issue_transitioned: con(Severity.Low),
  issue_deleted: con(Severity.Medium),
  comment_added: con(Severity.Low),
  comment_updated: con(Severity.Low),
  comment_deleted: con(Severity.Low),
  worklog_added: con(Severity.Low),
  worklog_updated: con(Severity.Low),
  worklog_deleted: con(Severity.Low),
  request_created: con(Severity.Low),
  request_transitioned: con(Severity.Low),
  page_created: con(Severity.Low),
  page_updated: con(Severity.Low),
  page_deleted: con(Severity.Medium),
  page_restored: con(Severity.Low),
  blogpost_created: con(Severity.Low),
  blogpost_updated: con(Severity.Low),
  attachment_added: con(Severity.Low),
  pr_opened: con(Severity.Low),
  pr_updated: con(Severity.Low),
  pr_approved: con(Severity.Low),
  pr_merged: con(Severity.Low),
  pr_declined: con(Severity.Low),
  pr_commented: con(Severity.Low),
  commit_pushed: con(Severity.Low)
})

/** Unknown operations still get stored: audit records default to security/medium, activity to content/low. */
export const DEFAULT_RATING: Readonly<Record<Pipeline, OperationRating>> = Object.freeze({
  [Pipeline.Audit]: sec(Severity.Medium),
  [Pipeline.Activity]: con(Severity.Low)
})

export function rateOperation (operation: string, pipeline: Pipeline): OperationRating {
  return Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] as OperationRating : DEFAULT_RATING[pipeline]
}

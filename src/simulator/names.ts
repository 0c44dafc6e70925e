// Name material for the generated org: Japanese and Latin people, titles, and hostile strings.

export const JAPANESE_GIVEN = ['Haruto', 'Yuki', 'Sakura', 'Ren', 'Aoi', 'Sota', 'Hina', 'Kaito', 'Yui', 'Riku', 'Mei', 'Takumi', 'Hiroshi', 'Akiko', 'Kenji', 'Naomi'] as const
export const JAPANESE_FAMILY = ['Sato', 'Suzuki', 'Takahashi', 'Tanaka', 'Watanabe', 'Ito', 'Yamamoto', 'Nakamura', 'Kobayashi', 'Kato', 'Yoshida', 'Yamada'] as const
export const JAPANESE_KANJI = ['佐藤 陽翔', '鈴木 結衣', '高橋 蓮', '田中 さくら', '渡辺 葵', '伊藤 蒼太', '山本 陽菜', '中村 海斗'] as const
export const LATIN_GIVEN = ['Alice', 'Bruno', 'Chloé', 'Diego', 'Emma', 'Felix', 'Greta', 'Hugo', 'Inès', 'Jonas', 'Klara', 'Luca', 'Maja', 'Noah', 'Olivia', 'Pablo'] as const
export const LATIN_FAMILY = ['Müller', 'García', 'Rossi', 'Dubois', 'Smith', 'Novak', 'Jensen', 'Silva', 'Kowalski', 'Martin', 'Andersson', 'O\'Brien'] as const

export const ISSUE_WORDS = ['Fix', 'Add', 'Improve', 'Remove', 'Investigate', 'Refactor', 'Document', 'Upgrade'] as const
export const ISSUE_OBJECTS = ['login flow', 'billing export', 'search index', 'CSV import', 'dark mode', 'API rate limiter', 'audit screen', 'onboarding email', 'SSO settings', 'report builder'] as const
export const REQUEST_TITLES = ['Laptop request', 'VPN access', 'Password reset', 'New starter setup', 'Software licence', 'Printer broken', 'Access to repository', 'Expense tool error'] as const
export const PAGE_TITLES = ['Architecture overview', 'Onboarding guide', 'Release notes', 'Incident review', 'Roadmap', 'Meeting notes', 'Runbook', 'Style guide', 'Retrospective', 'Design proposal'] as const
export const BLOG_TITLES = ['Team update', 'What we shipped', 'Quarterly review', 'Welcome new joiners', 'Lessons learned', 'Hackday results'] as const
export const PR_TITLES = ['Bump dependencies', 'Fix flaky test', 'Add metrics endpoint', 'Refactor config loader', 'Improve error messages', 'Speed up build', 'Add pagination', 'Remove dead code'] as const
export const REPO_SLUGS = ['api-gateway', 'web-app', 'mobile-app', 'infra', 'docs-site', 'billing-service', 'auth-service', 'data-pipeline', 'design-system', 'cli-tools'] as const

/** Strings a UI and a store must survive: markup, quotes, bidi controls, template syntax, a 10 kB name. */
export const HOSTILE = [
  '<script>alert("x")</script>',
  '"><img src=x onerror=alert(1)>',
  '\' OR \'1\'=\'1\'; --',
  'Robert"); DROP TABLE events;--',
  '\u202Etxt.exe\u202C invoice',
  '<%= it.secret %> {{constructor.constructor("alert(1)")()}}',
  '$where: function() { return true }',
  '名前'.repeat(2560) + ' (10 kB)'
] as const

#!/usr/bin/env python3
"""Generate a large, dbt-shaped benchmark project for Steward.

Usage:
    generate_project.py OUT_DIR [--models 7000] [--tests 12000] [--exposures 300]
                                [--sources 200] [--seeds 10] [--seed 42]

Writes a complete dbt project (duckdb adapter, profiles.yml inside, target
``prod``) to OUT_DIR.  Running ``dbt parse`` in it yields a manifest of roughly
``models + tests + exposures + sources + seeds`` nodes.  With the defaults the
manifest is ~20k nodes and 40-50 MB.

Shape:
  * sources (N tables across ~22 source systems, freshness, column docs)
  * staging: exactly one model per source table (``stg_<system>__<table>``)
  * intermediate: joins / enrichment / rollups of staging + earlier intermediate
  * marts: fct_/dim_/agg_/rpt_ models over intermediate (+ some staging, marts)
  * every non-staging model refs 1-4 earlier models (deterministic PRNG)
  * groups with owners (name + email), meta.owner on most models,
    meta.data_product on marts, tags, generic tests (not_null / unique /
    accepted_values / relationships, some ``severity: warn``), exposures
    depending on 1-5 marts with ``owner: {name, email}``.

The output is fully determined by the arguments (same --seed => same bytes).
Only the Python standard library and PyYAML (a dbt-core dependency) are used.
"""

import argparse
import math
import os
import random
import shutil
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - dbt-core always brings PyYAML
    sys.exit("PyYAML is required (it is installed with dbt-core)")

PROJECT = "analytics"
COMPANY_DOMAIN = "acme.io"

# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------

# source system -> (domain, loader, tables)
SOURCE_SYSTEMS = [
    ("stripe", "finance", "fivetran", ["charges", "customers", "invoices", "invoice_line_items", "subscriptions", "refunds", "payouts", "balance_transactions", "disputes", "plans", "coupons", "subscription_items"]),
    ("shopify", "commerce", "fivetran", ["orders", "order_lines", "products", "product_variants", "customers", "fulfillments", "refunds", "transactions", "inventory_levels", "discount_codes", "collections", "abandoned_checkouts"]),
    ("salesforce", "sales", "fivetran", ["accounts", "opportunities", "contacts", "leads", "users", "campaigns", "tasks", "events", "opportunity_line_items", "opportunity_history", "cases", "contracts"]),
    ("hubspot", "marketing", "fivetran", ["contacts", "companies", "deals", "deal_stages", "email_events", "forms", "form_submissions", "owners", "engagements", "contact_lists", "email_campaigns", "tickets"]),
    ("zendesk", "support", "fivetran", ["tickets", "ticket_comments", "users", "organizations", "groups", "satisfaction_ratings", "ticket_metrics", "ticket_fields", "brands", "sla_policies", "macros", "schedules"]),
    ("netsuite", "finance", "fivetran", ["transactions", "transaction_lines", "accounts", "subsidiaries", "vendors", "customers", "items", "departments", "classes", "accounting_periods", "currencies", "budgets"]),
    ("segment", "product", "segment", ["tracks", "pages", "identifies", "users", "screens", "groups", "signed_up", "checkout_started", "product_viewed", "order_completed", "experiment_viewed", "feature_used"]),
    ("google_ads", "marketing", "fivetran", ["campaigns", "ad_groups", "ads", "keywords", "campaign_stats", "ad_group_stats", "ad_stats", "keyword_stats", "accounts", "conversions", "search_terms", "budgets"]),
    ("facebook_ads", "marketing", "fivetran", ["campaigns", "ad_sets", "ads", "ad_insights", "accounts", "creatives", "ad_set_insights", "campaign_insights", "custom_audiences", "pixels", "conversions", "placements"]),
    ("app_db", "product", "airbyte", ["users", "accounts", "workspaces", "memberships", "projects", "events", "api_keys", "plans", "feature_flags", "audit_logs", "invitations", "integrations"]),
    ("workday", "people", "fivetran", ["workers", "positions", "organizations", "job_profiles", "compensation", "time_off", "terminations", "locations", "cost_centers", "performance_reviews", "promotions", "headcount_plans"]),
    ("greenhouse", "people", "fivetran", ["applications", "candidates", "jobs", "offers", "interviews", "scorecards", "departments", "offices", "job_posts", "sources", "rejection_reasons", "hiring_teams"]),
    ("jira", "engineering", "fivetran", ["issues", "projects", "sprints", "users", "issue_changelog", "worklogs", "components", "versions", "boards", "statuses", "priorities", "epics"]),
    ("github", "engineering", "fivetran", ["pull_requests", "commits", "repositories", "issues", "reviews", "users", "teams", "releases", "deployments", "workflow_runs", "labels", "check_runs"]),
    ("snowplow", "product", "snowplow", ["events", "sessions", "page_views", "link_clicks", "form_submissions", "users", "web_vitals", "media_plays", "searches", "errors", "consent_events", "ad_impressions"]),
    ("braze", "marketing", "fivetran", ["campaigns", "canvases", "email_sends", "email_opens", "email_clicks", "push_sends", "users", "segments", "unsubscribes", "in_app_messages", "sms_sends", "conversions"]),
    ("intercom", "support", "stitch", ["conversations", "conversation_parts", "contacts", "companies", "admins", "teams", "tags", "articles", "segments", "ratings", "notes", "tickets"]),
    ("quickbooks", "finance", "stitch", ["invoices", "bills", "payments", "customers", "vendors", "accounts", "journal_entries", "items", "deposits", "purchases", "credit_memos", "estimates"]),
    ("marketo", "marketing", "fivetran", ["leads", "activities", "programs", "campaigns", "emails", "lists", "landing_pages", "opportunities", "forms", "lead_scores", "channels", "segments"]),
    ("amplitude", "product", "fivetran", ["events", "users", "sessions", "cohorts", "event_types", "user_properties", "group_properties", "charts", "experiments", "annotations", "devices", "funnels"]),
    ("shipbob", "logistics", "airbyte", ["shipments", "orders", "inventory", "warehouses", "returns", "products", "carriers", "shipping_methods", "receiving_orders", "fulfillment_centers", "tracking_events", "bundles"]),
    ("sift", "risk", "airbyte", ["decisions", "scores", "events", "orders", "users", "workflows", "labels", "chargebacks", "devices", "sessions", "payment_methods", "reviews"]),
]

DOMAINS = ["finance", "commerce", "sales", "marketing", "support", "product",
           "people", "engineering", "logistics", "risk"]

DOMAIN_INFO = {
    "finance": ("Finance Analytics", "revenue, billing, payments and the general ledger", "#data-finance"),
    "commerce": ("Commerce Analytics", "storefront orders, catalog and merchandising", "#data-commerce"),
    "sales": ("Revenue Operations", "pipeline, bookings and account management", "#data-revops"),
    "marketing": ("Marketing Analytics", "paid acquisition, lifecycle messaging and attribution", "#data-marketing"),
    "support": ("Customer Experience Analytics", "support tickets, conversations and satisfaction", "#data-cx"),
    "product": ("Product Analytics", "product usage, activation and engagement", "#data-product"),
    "people": ("People Analytics", "headcount, hiring and compensation", "#data-people"),
    "engineering": ("Engineering Insights", "delivery, code review and deployment health", "#data-eng-insights"),
    "logistics": ("Logistics Analytics", "fulfilment, shipping and inventory", "#data-logistics"),
    "risk": ("Trust & Risk Analytics", "fraud decisions, chargebacks and risk scoring", "#data-risk"),
}

FIRST_NAMES = ["ada", "alan", "grace", "linus", "margaret", "dennis", "barbara", "ken",
               "frances", "john", "katherine", "donald", "radia", "edsger", "sophie",
               "tim", "hedy", "guido", "anita", "bjarne", "carol", "vint", "jean",
               "niklaus", "mary", "leslie", "shafi", "whitfield", "annie", "yukihiro",
               "priya", "mateo", "amara", "lucas", "ines", "kenji", "fatima", "omar",
               "chloe", "arjun", "nadia", "diego", "zara", "felix", "maya", "theo"]
LAST_NAMES = ["lovelace", "turing", "hopper", "torvalds", "hamilton", "ritchie", "liskov",
              "thompson", "allen", "backus", "johnson", "knuth", "perlman", "dijkstra",
              "wilson", "berners", "lamarr", "rossum", "borg", "stroustrup", "shaw",
              "cerf", "sammet", "wirth", "keller", "lamport", "goldwasser", "diffie",
              "easley", "matsumoto", "patel", "garcia", "okafor", "martin", "silva",
              "tanaka", "haddad", "nasser", "dubois", "sharma", "petrov", "romero"]

INT_VERBS_ROW = ["joined", "enriched", "deduplicated", "unioned", "pivoted", "normalized",
                 "scored", "classified", "filtered", "mapped", "attributed", "sessionized",
                 "latest", "snapshotted", "windowed"]
INT_VERBS_AGG = ["daily", "weekly", "monthly", "rollup", "by_account", "by_customer",
                 "by_region", "summary"]
MART_QUALIFIERS = ["daily", "weekly", "monthly", "current", "history", "summary", "ltv",
                   "cohorts", "funnel", "retention", "performance", "health", "forecast",
                   "attribution", "snapshot"]

STATUS_VALUES = {
    "status": ["active", "inactive", "pending", "cancelled", "archived"],
    "payment_status": ["paid", "unpaid", "refunded", "partially_refunded", "failed"],
    "order_status": ["placed", "shipped", "completed", "returned", "cancelled"],
    "stage": ["prospecting", "qualification", "proposal", "negotiation", "closed_won", "closed_lost"],
    "priority": ["low", "normal", "high", "urgent"],
    "channel": ["web", "ios", "android", "email", "phone", "partner"],
    "tier": ["free", "starter", "pro", "enterprise"],
    "region": ["amer", "emea", "apac", "latam"],
    "lifecycle_stage": ["subscriber", "lead", "mql", "sql", "opportunity", "customer", "evangelist"],
    "decision": ["accept", "review", "block"],
}

DIM_COLUMNS = [("name", "varchar"), ("email", "varchar"), ("country_code", "varchar"),
               ("currency", "varchar"), ("type", "varchar"), ("source", "varchar"),
               ("category", "varchar"), ("description", "varchar"), ("external_ref", "varchar"),
               ("city", "varchar"), ("postal_code", "varchar"), ("locale", "varchar"),
               ("timezone", "varchar"), ("utm_source", "varchar"), ("utm_campaign", "varchar"),
               ("sku", "varchar"), ("title", "varchar"), ("owner_name", "varchar"),
               ("segment", "varchar"), ("platform", "varchar")]
METRIC_COLUMNS = [("amount", "decimal(18,2)"), ("quantity", "integer"),
                  ("unit_price", "decimal(18,2)"), ("discount_amount", "decimal(18,2)"),
                  ("tax_amount", "decimal(18,2)"), ("fee_amount", "decimal(18,2)"),
                  ("cost", "decimal(18,2)"), ("duration_seconds", "bigint"),
                  ("score", "double"), ("clicks", "bigint"), ("impressions", "bigint"),
                  ("spend", "decimal(18,2)"), ("seats", "integer"), ("balance", "decimal(18,2)"),
                  ("weight_grams", "integer"), ("attempts", "integer")]
FLAG_COLUMNS = [("is_deleted", "boolean"), ("is_test", "boolean"), ("is_active", "boolean"),
                ("is_internal", "boolean"), ("is_verified", "boolean"), ("is_recurring", "boolean")]
TS_COLUMNS = [("closed_at", "timestamp"), ("started_at", "timestamp"), ("ended_at", "timestamp"),
              ("due_at", "timestamp"), ("first_seen_at", "timestamp"), ("cancelled_at", "timestamp")]

EXPOSURE_TYPES = [("dashboard", 0.55), ("notebook", 0.12), ("analysis", 0.13),
                  ("ml", 0.1), ("application", 0.1)]
EXPOSURE_NOUNS = ["overview", "health", "tracker", "scorecard", "explorer", "monitor",
                  "review", "forecast", "report", "cockpit", "pulse", "deep_dive"]
BI_TOOLS = [("looker", "https://acme.looker.com/dashboards/{n}"),
            ("tableau", "https://tableau.acme.io/#/views/{n}"),
            ("mode", "https://app.mode.com/acme/reports/{n:x}"),
            ("hex", "https://app.hex.tech/acme/app/{n:x}"),
            ("metabase", "https://metabase.acme.io/dashboard/{n}")]

SEED_DEFS = [
    ("country_codes", ["country_code", "country_name", "region", "is_eu"],
     [["US", "United States", "amer", "false"], ["GB", "United Kingdom", "emea", "false"],
      ["DE", "Germany", "emea", "true"], ["FR", "France", "emea", "true"],
      ["JP", "Japan", "apac", "false"], ["BR", "Brazil", "latam", "false"],
      ["IN", "India", "apac", "false"], ["CA", "Canada", "amer", "false"]]),
    ("currency_rates", ["currency", "rate_date", "usd_rate"],
     [["USD", "2024-01-01", "1.0"], ["EUR", "2024-01-01", "1.104"], ["GBP", "2024-01-01", "1.273"],
      ["JPY", "2024-01-01", "0.00709"], ["BRL", "2024-01-01", "0.206"], ["INR", "2024-01-01", "0.012"]]),
    ("fiscal_calendar", ["date_day", "fiscal_year", "fiscal_quarter", "fiscal_month"],
     [["2024-02-01", "2025", "1", "1"], ["2024-03-01", "2025", "1", "2"], ["2024-04-01", "2025", "1", "3"],
      ["2024-05-01", "2025", "2", "4"], ["2024-06-01", "2025", "2", "5"]]),
    ("holiday_calendar", ["date_day", "country_code", "holiday_name"],
     [["2024-01-01", "US", "New Year"], ["2024-07-04", "US", "Independence Day"],
      ["2024-12-25", "GB", "Christmas Day"], ["2024-05-01", "DE", "Labour Day"]]),
    ("plan_catalog", ["plan_id", "plan_name", "tier", "monthly_price"],
     [["p_free", "Free", "free", "0"], ["p_start", "Starter", "starter", "29"],
      ["p_pro", "Pro", "pro", "99"], ["p_ent", "Enterprise", "enterprise", "1500"]]),
    ("channel_mapping", ["utm_source", "utm_medium", "channel", "is_paid"],
     [["google", "cpc", "paid_search", "true"], ["facebook", "paid_social", "paid_social", "true"],
      ["newsletter", "email", "email", "false"], ["(direct)", "(none)", "direct", "false"]]),
    ("employee_levels", ["level_code", "level_name", "track", "band"],
     [["IC1", "Associate", "ic", "1"], ["IC2", "Engineer", "ic", "2"], ["IC3", "Senior", "ic", "3"],
      ["M1", "Manager", "management", "3"], ["M2", "Senior Manager", "management", "4"]]),
    ("gl_account_mapping", ["account_number", "account_name", "statement", "rollup"],
     [["4000", "Subscription Revenue", "income_statement", "revenue"],
      ["4100", "Services Revenue", "income_statement", "revenue"],
      ["5000", "Hosting", "income_statement", "cogs"], ["1000", "Cash", "balance_sheet", "assets"]]),
    ("region_mapping", ["country_code", "sales_region", "support_region"],
     [["US", "na", "amer"], ["CA", "na", "amer"], ["GB", "uki", "emea"], ["DE", "dach", "emea"]]),
    ("fraud_rules", ["rule_id", "rule_name", "action", "threshold"],
     [["r1", "velocity_check", "review", "5"], ["r2", "geo_mismatch", "block", "1"],
      ["r3", "card_testing", "block", "3"]]),
    ("sla_targets", ["priority", "first_response_minutes", "resolution_hours"],
     [["low", "1440", "120"], ["normal", "480", "72"], ["high", "60", "24"], ["urgent", "15", "4"]]),
    ("warehouse_zones", ["warehouse_id", "zone", "timezone"],
     [["wh_1", "east", "America/New_York"], ["wh_2", "west", "America/Los_Angeles"],
      ["wh_3", "eu", "Europe/Amsterdam"]]),
]

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

IRREGULAR_SINGULAR = {"statuses": "status", "addresses": "address", "classes": "class",
                      "currencies": "currency", "companies": "company", "opportunities": "opportunity",
                      "activities": "activity", "categories": "category", "priorities": "priority",
                      "inventory": "inventory_item", "compensation": "compensation_record",
                      "time_off": "time_off_request", "headcount_plans": "headcount_plan",
                      "identifies": "identify", "tracks": "track", "ad_insights": "ad_insight",
                      "analyses": "analysis", "macros": "macro", "schedules": "schedule",
                      "signed_up": "signed_up_event", "checkout_started": "checkout_started_event",
                      "product_viewed": "product_viewed_event", "order_completed": "order_completed_event",
                      "experiment_viewed": "experiment_viewed_event", "feature_used": "feature_used_event",
                      "issue_changelog": "issue_change", "search_terms": "search_term",
                      "web_vitals": "web_vital", "consent_events": "consent_event"}


def singular(word):
    if word in IRREGULAR_SINGULAR:
        return IRREGULAR_SINGULAR[word]
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("sses") or word.endswith("ches") or word.endswith("shes"):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def human(name):
    return name.replace("__", " ").replace("_", " ")


def weighted_choice(rng, pairs):
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for value, w in pairs:
        x -= w
        if x <= 0:
            return value
    return pairs[-1][0]


class Person:
    def __init__(self, first, last):
        self.first = first
        self.last = last
        self.name = f"{first.title()} {last.title()}"
        self.email = f"{first}.{last}@{COMPANY_DOMAIN}"


class Column:
    __slots__ = ("name", "dtype", "role", "desc", "fk", "values", "origin")

    def __init__(self, name, dtype, role, desc="", fk=None, values=None, origin=None):
        self.name = name
        self.dtype = dtype
        self.role = role      # pk | fk | ts | metric | dim | flag | status | key | date
        self.desc = desc
        self.fk = fk          # (model_name, column) for relationships tests
        self.values = values  # accepted values for status columns
        self.origin = origin  # expression in the model's SQL


class Model:
    def __init__(self, name, layer, domain, entity):
        self.name = name
        self.layer = layer        # staging | intermediate | marts
        self.domain = domain
        self.entity = entity
        self.parents = []         # list[Model | Seed]
        self.source = None        # (system, table) for staging
        self.columns = []
        self.sql = ""
        self.description = ""
        self.materialized = "view"
        self.tags = []
        self.meta = {}
        self.kind = ""            # row | agg | fct | dim | agg_mart | rpt
        self.path_dir = ""

    @property
    def pk(self):
        for c in self.columns:
            if c.role in ("pk", "key"):
                return c
        return self.columns[0]


class Seed:
    def __init__(self, name, header, rows):
        self.name = name
        self.header = header
        self.rows = rows
        self.layer = "seed"
        self.domain = "shared"
        self.entity = name
        self.columns = [Column(h, "varchar", "dim") for h in header]
        self.columns[0].role = "key"

    @property
    def pk(self):
        return self.columns[0]


# --------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------

class Generator:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.used_names = set()
        self.models = []
        self.by_layer_domain = {}
        self.groups = {}
        self.people = {}
        self.sources = []   # (system, domain, loader, [(table, columns)])
        self.seeds = []
        self.exposures = []
        self.tests_by_model = {}     # model name -> {column name -> [test entries]}
        self.tests_by_source = {}    # (system, table) -> {column -> [tests]}
        self.tests_by_seed = {}

    # ---- naming --------------------------------------------------------
    def unique_name(self, base):
        name = base
        n = 2
        while name in self.used_names:
            name = f"{base}_v{n}"
            n += 1
        self.used_names.add(name)
        return name

    # ---- people & groups ----------------------------------------------
    def make_people(self):
        rng = self.rng
        combos = [(f, l) for f in FIRST_NAMES for l in LAST_NAMES]
        rng.shuffle(combos)
        i = 0
        for d in DOMAINS:
            team = []
            for _ in range(rng.randint(4, 8)):
                team.append(Person(*combos[i]))
                i += 1
            self.people[d] = team
            label, _, channel = DOMAIN_INFO[d]
            self.groups[d] = {
                "name": d,
                "owner": {"name": label, "email": f"{d}-analytics@{COMPANY_DOMAIN}",
                          "slack": channel},
            }

    # ---- sources -------------------------------------------------------
    def source_columns(self, system, table, all_tables):
        rng = self.rng
        ent = singular(table)
        cols = [Column("id", "varchar", "pk", origin="id")]
        others = [t for t in all_tables if t != table]
        for t in rng.sample(others, k=min(len(others), rng.randint(1, 3))):
            cols.append(Column(f"{singular(t)}_id", "varchar", "fk", fk=t))
        n_status = rng.random()
        if n_status < 0.75:
            sname = rng.choice(list(STATUS_VALUES))
            cols.append(Column(sname, "varchar", "status", values=STATUS_VALUES[sname]))
        for name, dtype in rng.sample(DIM_COLUMNS, rng.randint(3, 7)):
            cols.append(Column(name, dtype, "dim"))
        for name, dtype in rng.sample(METRIC_COLUMNS, rng.randint(1, 5)):
            cols.append(Column(name, dtype, "metric"))
        for name, dtype in rng.sample(FLAG_COLUMNS, rng.randint(1, 2)):
            cols.append(Column(name, dtype, "flag"))
        for name, dtype in rng.sample(TS_COLUMNS, rng.randint(0, 2)):
            cols.append(Column(name, dtype, "ts"))
        cols.append(Column("created_at", "timestamp", "ts"))
        cols.append(Column("updated_at", "timestamp", "ts"))
        for c in cols:
            c.desc = self.source_col_desc(system, ent, c)
        return cols

    def source_col_desc(self, system, ent, c):
        sys_h = system.replace("_", " ").title()
        if c.role == "pk":
            return f"Primary key of the {human(ent)} record in {sys_h}. Stable across syncs; never reused."
        if c.role == "fk":
            return (f"Identifier of the related {human(singular(c.fk))} in {sys_h}. "
                    f"May be null for records created before the relationship existed.")
        if c.role == "status":
            return (f"Current {human(c.name)} of the {human(ent)} as reported by {sys_h}. "
                    f"One of: {', '.join(c.values)}.")
        if c.role == "metric":
            return f"Raw {human(c.name)} on the {human(ent)}, in the source's native unit."
        if c.role == "flag":
            return f"Whether the {human(ent)} {human(c.name[3:]) if c.name.startswith('is_') else c.name} according to {sys_h}."
        if c.role == "ts":
            return f"UTC timestamp when the {human(ent)} was {human(c.name[:-3]) if c.name.endswith('_at') else c.name} in {sys_h}."
        return f"The {human(c.name)} attribute of the {human(ent)} as captured by {sys_h}."

    def make_sources(self):
        n = self.args.sources
        systems = SOURCE_SYSTEMS
        per = [0] * len(systems)
        for i in range(n):
            per[i % len(systems)] += 1
        for (system, domain, loader, tables), k in zip(systems, per):
            if k == 0:
                continue
            chosen = []
            for j in range(k):
                base = tables[j % len(tables)]
                chosen.append(base if j < len(tables) else f"{base}_{j // len(tables) + 1}")
            entries = []
            for t in chosen:
                entries.append((t, self.source_columns(system, t, chosen)))
            self.sources.append((system, domain, loader, entries))

    # ---- seeds ---------------------------------------------------------
    def make_seeds(self):
        for i in range(self.args.seeds):
            name, header, rows = SEED_DEFS[i % len(SEED_DEFS)]
            if i >= len(SEED_DEFS):
                name = f"{name}_{i // len(SEED_DEFS) + 1}"
            self.seeds.append(Seed(name, header, rows))

    # ---- staging -------------------------------------------------------
    def make_staging(self):
        stg_by_source = {}
        for system, domain, loader, entries in self.sources:
            for table, scols in entries:
                ent = singular(table)
                m = Model(self.unique_name(f"stg_{system}__{table}"), "staging", domain, ent)
                m.source = (system, table)
                m.loader = loader
                m.kind = "row"
                m.path_dir = f"staging/{system}"
                cols = []
                for c in scols:
                    if c.role == "pk":
                        nc = Column(f"{ent}_id", "varchar", "pk", origin=f"cast(id as varchar)")
                    elif c.role == "fk":
                        nc = Column(c.name, "varchar", "fk", fk=(system, c.fk), origin=f"cast({c.name} as varchar)")
                    elif c.role == "metric" and c.dtype.startswith("decimal"):
                        nc = Column(c.name, c.dtype, c.role, origin=f"cast({c.name} as {c.dtype})")
                    elif c.role == "ts":
                        nc = Column(c.name, "timestamp", "ts", origin=f"cast({c.name} as timestamp)")
                    elif c.role == "status":
                        nc = Column(c.name, "varchar", "status", values=c.values, origin=f"lower(trim({c.name}))")
                    elif c.name == "email":
                        nc = Column("email", "varchar", "dim", origin="lower(email)")
                    else:
                        nc = Column(c.name, c.dtype, c.role, origin=c.name)
                    cols.append(nc)
                cols.append(Column("_loaded_at", "timestamp", "ts", origin="_fivetran_synced" if loader == "fivetran" else "_sdc_batched_at" if loader == "stitch" else "_airbyte_extracted_at" if loader == "airbyte" else "received_at"))
                m.columns = cols
                self.register(m)
                stg_by_source[(system, table)] = m
        # resolve staging FKs to the staging model of the referenced table
        for m in self.layer_models("staging"):
            for c in m.columns:
                if c.role == "fk" and isinstance(c.fk, tuple):
                    target = stg_by_source.get(c.fk)
                    c.fk = (target.name, target.pk.name) if target else None

    def register(self, m):
        self.models.append(m)
        self.by_layer_domain.setdefault((m.layer, m.domain), []).append(m)
        self.by_layer_domain.setdefault((m.layer, "*"), []).append(m)

    def layer_models(self, layer, domain="*"):
        return self.by_layer_domain.get((layer, domain), [])

    # ---- parent selection ------------------------------------------------
    def pick_from(self, layer, domain):
        rng = self.rng
        pool = self.layer_models(layer, domain) if rng.random() < 0.8 else []
        if not pool:
            pool = self.layer_models(layer)
        if not pool:
            return None
        # bias toward more recent models a little so the DAG grows deep chains
        if rng.random() < 0.35:
            lo = max(0, len(pool) - 60)
            return pool[rng.randrange(lo, len(pool))]
        return rng.choice(pool)

    def pick_parents(self, layer_weights, domain):
        rng = self.rng
        k = weighted_choice(rng, [(1, 0.34), (2, 0.36), (3, 0.2), (4, 0.1)])
        parents = []
        tries = 0
        while len(parents) < k and tries < 30:
            tries += 1
            layer = weighted_choice(rng, layer_weights)
            p = self.pick_from(layer, domain)
            if p is not None and p not in parents:
                parents.append(p)
        if not parents:
            parents.append(rng.choice(self.layer_models("staging")))
        if self.seeds and rng.random() < 0.04:
            s = rng.choice(self.seeds)
            if len(parents) >= 4:
                parents[-1] = s
            else:
                parents.append(s)
        return parents

    # ---- column derivation ---------------------------------------------
    def derive_row_columns(self, m, aliases):
        """Row-grain model: keep the spine's grain, pull attributes from others."""
        rng = self.rng
        spine = m.parents[0]
        sa = aliases[0]
        cols = []
        seen = set()

        def add(c):
            if c.name in seen:
                return
            seen.add(c.name)
            cols.append(c)

        pk = spine.pk
        add(Column(pk.name, pk.dtype, "pk", origin=f"{sa}.{pk.name}"))
        others = [c for c in spine.columns if c is not pk]
        keep = list(others) if len(others) <= 14 else rng.sample(others, 14)
        keep.sort(key=lambda c: others.index(c))
        for c in keep:
            role = c.role if c.role not in ("pk", "key") else "fk"
            fk = c.fk if role == "fk" else None
            if c.role in ("pk", "key"):
                fk = (spine.name, c.name)
            add(Column(c.name, c.dtype, role, fk=fk, values=c.values, origin=f"{sa}.{c.name}"))
        for p, a in zip(m.parents[1:], aliases[1:]):
            ppk = p.pk
            add(Column(ppk.name, ppk.dtype, "fk", fk=(p.name, ppk.name), origin=f"{a}.{ppk.name}"))
            attrs = [c for c in p.columns if c.role in ("dim", "metric", "status", "flag")]
            for c in rng.sample(attrs, min(len(attrs), rng.randint(1, 4))):
                name = c.name if c.name not in seen else f"{a}_{c.name}"
                add(Column(name, c.dtype, c.role, values=c.values, origin=f"{a}.{c.name}"))
        # derived columns
        metrics = [c for c in cols if c.role == "metric"]
        tss = [c for c in cols if c.role == "ts" and c.name != "_loaded_at"]
        derived = []
        if tss:
            t = rng.choice(tss)
            derived.append(Column(f"days_since_{t.name[:-3] if t.name.endswith('_at') else t.name}", "integer", "metric",
                                  origin=f"date_diff('day', {t.origin}, current_timestamp)"))
        if metrics:
            mt = rng.choice(metrics)
            derived.append(Column(f"{mt.name}_usd", "decimal(18,2)", "metric",
                                  origin=f"round(coalesce({mt.origin}, 0) * 1.0, 2)"))
        derived.append(Column(f"is_{m.entity}_current", "boolean", "flag",
                              origin=f"row_number() over (partition by {sa}.{pk.name} order by {sa}.updated_at desc) = 1"))
        for d in derived:
            add(d)
        m.columns = cols

    def derive_agg_columns(self, m, aliases, grain):
        rng = self.rng
        spine = m.parents[0]
        sa = aliases[0]
        cols = []
        tss = [c for c in spine.columns if c.role == "ts"]
        date_col = tss[0].name if tss else "created_at"
        period = {"daily": "day", "weekly": "week", "monthly": "month"}.get(grain, "day")
        key_name = f"{m.entity}_{grain}_key"
        dims = [c for c in spine.columns if c.role in ("fk", "status", "dim")
                and c.name not in (key_name, f"{period}_start")][:2]
        key_parts = [f"date_trunc('{period}', {sa}.{date_col})"] + [f"{sa}.{d.name}" for d in dims]
        cols.append(Column(key_name, "varchar", "key",
                           origin="md5(concat_ws('|', " + ", ".join(f"cast({k} as varchar)" for k in key_parts) + "))"))
        cols.append(Column(f"{period}_start", "date", "date",
                           origin=f"cast(date_trunc('{period}', {sa}.{date_col}) as date)"))
        for d in dims:
            cols.append(Column(d.name, d.dtype, d.role, fk=d.fk if d.role == "fk" else None,
                               values=d.values, origin=f"{sa}.{d.name}"))
        cols.append(Column(f"{singular(m.entity)}_count", "bigint", "metric", origin=f"count(distinct {sa}.{spine.pk.name})"))
        metrics = [c for c in spine.columns if c.role == "metric"]
        seen = {c.name for c in cols}
        for mt in metrics[:6]:
            fn = rng.choice(["sum", "sum", "avg", "max"])
            base = mt.name
            while base.split("_", 1)[0] in ("total", "avg", "max") and "_" in base:
                base = base.split("_", 1)[1]
            name = f"{fn}_{base}" if fn != "sum" else f"total_{base}"
            if name in seen:
                continue
            seen.add(name)
            cols.append(Column(name, "decimal(18,2)" if fn != "max" else mt.dtype,
                               "metric", origin=f"{fn}({sa}.{mt.name})"))
        for p, a in zip(m.parents[1:], aliases[1:]):
            cols.append(Column(f"{a}_count", "bigint", "metric", origin=f"count(distinct {a}.{p.pk.name})"))
        uniq, seen = [], set()
        for c in cols:  # first occurrence wins; grouping columns come first
            if c.name not in seen:
                seen.add(c.name)
                uniq.append(c)
        m.columns = uniq
        m.group_by = list(range(1, 3 + len(dims)))
        m.date_col = date_col

    # ---- SQL -------------------------------------------------------------
    def ref_of(self, p):
        return "{{ ref('" + p.name + "') }}"

    def config_block(self, m):
        parts = [f"materialized='{m.materialized}'"]
        if m.materialized == "incremental":
            parts.append(f"unique_key='{m.pk.name}'")
            parts.append("on_schema_change='append_new_columns'")
        return "{{\n    config(\n        " + ",\n        ".join(parts) + "\n    )\n}}\n\n"

    def staging_sql(self, m):
        system, table = m.source
        lines = ",\n        ".join(
            (f"{c.origin} as {c.name}" if c.origin != c.name else c.name) for c in m.columns)
        return (
            "with\n\n"
            f"source as (\n\n    select * from {{{{ source('{system}', '{table}') }}}}\n\n),\n\n"
            f"renamed as (\n\n    select\n        {lines}\n\n    from source\n"
            + ("    where not coalesce(_fivetran_deleted, false)\n" if m.loader == "fivetran" else "")
            + "\n)\n\n"
            "select * from renamed\n"
        )

    def cte_aliases(self, m):
        aliases = []
        for p in m.parents:
            base = p.entity if p.layer != "seed" else p.name
            a = base
            n = 2
            while a in aliases:
                a = f"{base}_{n}"
                n += 1
            aliases.append(a)
        return aliases

    def model_sql(self, m, aliases):
        ctes = []
        for p, a in zip(m.parents, aliases):
            ctes.append(f"{a} as (\n\n    select * from {self.ref_of(p)}\n\n)")
        sa = aliases[0]
        joins = []
        for p, a in zip(m.parents[1:], aliases[1:]):
            if p.layer == "seed":
                joins.append(f"    left join {a}\n        on {sa}.{p.columns[0].name} = {a}.{p.columns[0].name}")
            else:
                spine_keys = {c.name for c in m.parents[0].columns if c.role in ("pk", "fk", "key")}
                shared = [c.name for c in p.columns if c.role in ("pk", "fk") and c.name in spine_keys]
                key = shared[0] if shared else p.pk.name
                joins.append(f"    left join {a}\n        on {sa}.{key} = {a}.{key}")
        select_lines = []
        for c in m.columns:
            expr = c.origin or c.name
            select_lines.append(expr if expr == f"{sa}.{c.name}" else f"{expr} as {c.name}")
        body = "    select\n        " + ",\n        ".join(select_lines) + f"\n    from {sa}\n"
        if joins:
            body += "\n".join(joins) + "\n"
        flags = [c for c in m.parents[0].columns if c.name in ("is_deleted", "is_test")]
        wheres = [f"not coalesce({sa}.{c.name}, false)" for c in flags]
        if m.materialized == "incremental":
            inc_col = m.date_col if m.kind in ("agg", "agg_mart") else "updated_at"
            body += "    where " + (" and ".join(wheres) + "\n    " if wheres else "1 = 1\n    ")
            body += ("{% if is_incremental() %}\n"
                     f"      and {sa}.{inc_col} > (select max({inc_col if m.kind not in ('agg', 'agg_mart') else m.columns[1].name}) from {{{{ this }}}})\n"
                     "    {% endif %}\n")
        elif wheres:
            body += "    where " + "\n      and ".join(wheres) + "\n"
        if getattr(m, "group_by", None):
            body += "    group by " + ", ".join(str(i) for i in m.group_by) + "\n"
        step = {"row": "joined", "agg": "aggregated", "fct": "final", "dim": "final",
                "agg_mart": "aggregated", "rpt": "final"}[m.kind]
        ctes.append(f"{step} as (\n\n{body}\n)")
        header = self.config_block(m) if m.layer != "staging" else ""
        comment = (f"-- {m.name}: {m.layer} model for the {m.domain} domain.\n"
                   f"-- Grain: one row per {human(m.pk.name)}.\n\n")
        return header + comment + "with\n\n" + ",\n\n".join(ctes) + f"\n\nselect * from {step}\n"

    # ---- intermediate & marts ------------------------------------------
    def make_derived(self, layer, count):
        rng = self.rng
        for i in range(count):
            domain = DOMAINS[i % len(DOMAINS)] if rng.random() < 0.7 else rng.choice(DOMAINS)
            if layer == "intermediate":
                weights = [("staging", 0.45), ("intermediate", 0.55)] if self.layer_models("intermediate") else [("staging", 1.0)]
            else:
                weights = [("intermediate", 0.7), ("staging", 0.1)]
                if self.layer_models("marts"):
                    weights.append(("marts", 0.2))
            parents = self.pick_parents(weights, domain)
            # spine must be a model, not a seed
            parents.sort(key=lambda p: p.layer == "seed")
            entity = parents[0].entity
            if layer == "intermediate":
                if rng.random() < 0.72:
                    kind, verb = "row", rng.choice(INT_VERBS_ROW)
                else:
                    kind, verb = "agg", rng.choice(INT_VERBS_AGG)
                name = self.unique_name(f"int_{domain}__{entity}_{verb}")
            else:
                r = rng.random()
                if r < 0.45:
                    kind, prefix = "fct", "fct"
                elif r < 0.7:
                    kind, prefix = "dim", "dim"
                elif r < 0.9:
                    kind, prefix = "agg_mart", "agg"
                else:
                    kind, prefix = "rpt", "rpt"
                qual = rng.choice(["current", "history", "snapshot", "scd"] if kind == "dim" else MART_QUALIFIERS)
                name = self.unique_name(f"{prefix}_{domain}__{entity}" + ("" if kind == "dim" and rng.random() < 0.4 else f"_{qual}"))
                verb = qual
            m = Model(name, layer, domain, entity)
            m.kind = kind
            m.parents = parents
            m.path_dir = f"{layer}/{domain}"
            aliases = self.cte_aliases(m)
            if kind in ("agg", "agg_mart"):
                grain = verb if verb in ("daily", "weekly", "monthly") else rng.choice(["daily", "weekly", "monthly"])
                self.derive_agg_columns(m, aliases, grain)
            else:
                self.derive_row_columns(m, aliases)
            if layer == "intermediate":
                m.materialized = "view" if rng.random() < 0.7 else "table"
            else:
                r = rng.random()
                m.materialized = "table" if r < 0.6 else "incremental" if r < 0.88 else "view"
            m.aliases = aliases
            self.register(m)

    # ---- metadata ------------------------------------------------------
    def decorate(self):
        rng = self.rng
        for m in self.models:
            team = self.people[m.domain]
            tags = [m.layer, m.domain]
            if m.layer == "staging":
                tags.append(m.source[0])
            r = rng.random()
            tags.append("hourly" if r < 0.2 else "daily" if r < 0.9 else "weekly")
            if any(c.name in ("email", "name", "city", "postal_code") for c in m.columns) and rng.random() < 0.7:
                tags.append("pii")
            if m.layer == "marts" and rng.random() < 0.3:
                tags.append("tier_1")
            if m.materialized == "incremental":
                tags.append("incremental")
            m.tags = tags
            meta = {}
            if rng.random() < 0.78 or m.layer == "marts":
                meta["owner"] = rng.choice(team).email
            if m.layer == "marts":
                meta["data_product"] = f"{m.domain}.{m.entity}"
                meta["criticality"] = rng.choice(["high", "medium", "medium", "low"])
                meta["slack_channel"] = DOMAIN_INFO[m.domain][2]
                meta["sla_hours"] = rng.choice([2, 4, 6, 12, 24])
            elif rng.random() < 0.3:
                meta["slack_channel"] = DOMAIN_INFO[m.domain][2]
            if rng.random() < 0.15:
                meta["pagerduty_service"] = f"data-{m.domain}"
            if m.layer == "staging":
                meta["source_system"] = m.source[0]
            m.meta = meta
            m.description = self.model_description(m)
            # Column documentation coverage: staging is source-conformed and fully
            # documented; marts mostly; intermediate rarely.  The rest document
            # only the key and tested columns.  --doc-ratio is the main size knob.
            r = self.args.doc_ratio
            p_full = 1.0 if m.layer == "staging" else min(1.0, 1.6 * r) if m.layer == "marts" else 0.4 * r
            m.full_docs = rng.random() < p_full
            if m.layer == "staging":
                m.sql = self.staging_sql(m)
            else:
                m.sql = self.model_sql(m, m.aliases)
            for c in m.columns:
                if not c.desc:
                    c.desc = self.column_description(m, c)

    def model_description(self, m):
        rng = self.rng
        label, scope, _ = DOMAIN_INFO[m.domain]
        ent = human(m.entity)
        if m.layer == "staging":
            system, table = m.source
            s = [f"Staging model for the `{table}` table replicated from {system.replace('_', ' ').title()}.",
                 f"Renames columns to the warehouse conventions, casts identifiers to varchar and timestamps to UTC, "
                 f"and removes rows soft-deleted at the source.",
                 f"One row per {ent}; primary key `{m.pk.name}`."]
        else:
            plist = ", ".join(f"`{p.name}`" for p in m.parents)
            if m.kind == "row":
                s = [f"Intermediate {ent} model that combines {plist}.",
                     f"Keeps the grain of `{m.parents[0].name}` (one row per {human(m.pk.name)}) and attaches "
                     f"attributes needed downstream for {scope}."]
            elif m.kind in ("agg", "agg_mart"):
                s = [f"{'Aggregated' if m.kind == 'agg' else 'Mart-level aggregate'} view of {ent} activity built from {plist}.",
                     f"One row per period and dimension combination, keyed by `{m.pk.name}`."]
            elif m.kind == "dim":
                s = [f"Dimension table describing each {ent} for {scope} reporting.",
                     f"Built from {plist}; one row per {human(m.pk.name)}, current state only."]
            elif m.kind == "fct":
                s = [f"Fact table of {ent} events used for {scope} reporting.",
                     f"Built from {plist}; one row per {human(m.pk.name)}."]
            else:
                s = [f"Reporting model for {ent} prepared for the {label} team.",
                     f"Combines {plist} into a presentation-ready shape."]
            extras = [
                "Late-arriving records are picked up on the next scheduled run.",
                f"Maintained by the {label} team; raise questions in {DOMAIN_INFO[m.domain][2]}.",
                "Currency amounts are reported in the transaction currency unless suffixed with `_usd`.",
                "Test and internal accounts are excluded upstream.",
                "Timestamps are stored in UTC; convert at the BI layer for local reporting.",
                "Backfills beyond 400 days require a full refresh and coordination with the owning team.",
            ]
            s += rng.sample(extras, rng.randint(1, 3))
        return " ".join(s)

    def column_description(self, m, c):
        ent = human(m.entity)
        if c.role == "pk":
            return f"Primary key of {m.name}: unique identifier of the {ent}. Guaranteed unique and not null."
        if c.role == "key":
            return f"Surrogate key of {m.name}, an md5 hash of the grain columns. Unique per row."
        if c.role == "fk":
            tgt = f" Joins to `{c.fk[0]}`.`{c.fk[1]}`." if c.fk else ""
            return f"Foreign key to the {human(c.name[:-3] if c.name.endswith('_id') else c.name)} associated with this {ent}.{tgt}"
        if c.role == "status":
            return f"Lifecycle {human(c.name)} of the {ent}. Accepted values: {', '.join(c.values)}."
        if c.role == "metric":
            return f"{human(c.name).capitalize()} for the {ent}, computed as `{c.origin}`."
        if c.role == "flag":
            return f"Boolean flag: {human(c.name)}. Derived as `{c.origin}`."
        if c.role in ("ts", "date"):
            return f"{human(c.name).capitalize()} of the {ent} (UTC)."
        return f"{human(c.name).capitalize()} of the {ent}, carried from `{c.origin}`."

    # ---- tests -----------------------------------------------------------
    def make_tests(self):
        """Build every candidate test, then keep exactly --tests of them by
        weighted sampling without replacement (Efraimidis-Spirakis)."""
        rng = self.rng
        cands = []  # (key, weight, target_kind, target_id, column, test)
        model_names = {m.name for m in self.models}
        for m in self.models:
            for c in m.columns:
                if c.role in ("pk", "key"):
                    cands.append((rng.random() ** (1 / 10.0), "model", m.name, c.name, "not_null"))
                    cands.append((rng.random() ** (1 / 9.0), "model", m.name, c.name, "unique"))
                elif c.role == "fk" and c.fk and c.fk[0] in model_names:
                    cands.append((rng.random() ** (1 / 2.0), "model", m.name, c.name, ("relationships", c.fk)))
                    cands.append((rng.random() ** (1 / 0.6), "model", m.name, c.name, "not_null"))
                elif c.role == "status" and c.values:
                    cands.append((rng.random() ** (1 / 2.5), "model", m.name, c.name, ("accepted_values", c.values)))
                elif c.role in ("ts", "metric", "dim", "date"):
                    cands.append((rng.random() ** (1 / 0.35), "model", m.name, c.name, "not_null"))
        for system, domain, loader, entries in self.sources:
            for table, cols in entries:
                for c in cols:
                    if c.role == "pk":
                        cands.append((rng.random() ** (1 / 4.0), "source", (system, table), c.name, "not_null"))
                        cands.append((rng.random() ** (1 / 4.0), "source", (system, table), c.name, "unique"))
                    elif c.role == "status":
                        cands.append((rng.random() ** (1 / 0.8), "source", (system, table), c.name, ("accepted_values", c.values)))
        for s in self.seeds:
            cands.append((rng.random() ** (1 / 3.0), "seed", s.name, s.columns[0].name, "not_null"))
            cands.append((rng.random() ** (1 / 3.0), "seed", s.name, s.columns[0].name, "unique"))
        if len(cands) < self.args.tests:
            print(f"warning: only {len(cands)} candidate tests for --tests {self.args.tests}", file=sys.stderr)
        dedup = {}
        for cand in cands:  # a column can carry each test only once
            dedup.setdefault((cand[1], cand[2], cand[3], str(cand[4])), cand)
        cands = sorted(dedup.values(), key=lambda t: -t[0])
        chosen = cands[: self.args.tests]
        # emit in a stable, per-target order
        chosen.sort(key=lambda t: (t[1], str(t[2]), t[3], str(t[4])))
        for _, kind, target, col, test in chosen:
            entry = self.render_test(test)
            bucket = {"model": self.tests_by_model, "source": self.tests_by_source,
                      "seed": self.tests_by_seed}[kind]
            bucket.setdefault(target, {}).setdefault(col, []).append(entry)

    def render_test(self, test):
        rng = self.rng
        cfg = {}
        r = rng.random()
        if r < 0.08:
            cfg["severity"] = "warn"
        elif r < 0.10:
            cfg["severity"] = "error"
            cfg["warn_if"] = ">10"
            cfg["error_if"] = ">100"
        if rng.random() < 0.03:
            cfg["where"] = "updated_at >= current_date - interval 3 day"
        if isinstance(test, str):
            return {test: {"config": cfg}} if cfg else test
        name, arg = test
        if name == "relationships":
            body = {"to": f"ref('{arg[0]}')", "field": arg[1]}
        else:
            body = {"values": list(arg)}
        if cfg:
            body["config"] = cfg
        return {name: body}

    # ---- exposures -------------------------------------------------------
    def make_exposures(self):
        rng = self.rng
        marts = self.layer_models("marts")
        used = set()
        for i in range(self.args.exposures):
            domain = DOMAINS[i % len(DOMAINS)]
            pool = self.layer_models("marts", domain) or marts
            k = min(len(pool), rng.randint(1, 5))
            deps = rng.sample(pool, k)
            etype = weighted_choice(rng, EXPOSURE_TYPES)
            main = deps[0].entity
            base = f"{domain}_{main}_{rng.choice(EXPOSURE_NOUNS)}"
            name = base
            n = 2
            while name in used:
                name = f"{base}_{n}"
                n += 1
            used.add(name)
            owner = rng.choice(self.people[domain])
            tool, url = rng.choice(BI_TOOLS)
            exp = {
                "name": name,
                "label": human(name).title(),
                "type": etype,
                "maturity": rng.choice(["high", "high", "medium", "low"]),
                "url": url.format(n=1000 + i * 7),
                "description": (f"{human(name).capitalize()} used by the {DOMAIN_INFO[domain][0]} team "
                                f"to track {human(main)} across {DOMAIN_INFO[domain][1]}. "
                                f"Refreshed after the {rng.choice(['hourly', 'daily', 'nightly'])} dbt build."),
                "depends_on": [f"ref('{d.name}')" for d in deps],
                "owner": {"name": owner.name, "email": owner.email},
                "tags": [domain, etype],
                "meta": {"bi_tool": tool, "criticality": rng.choice(["high", "medium", "low"]),
                         "slack_channel": DOMAIN_INFO[domain][2]},
            }
            self.exposures.append((domain, exp))

    # ---- writing ---------------------------------------------------------
    def write(self, out):
        if os.path.exists(out):
            shutil.rmtree(out)
        os.makedirs(out)

        def dump(path, data):
            full = os.path.join(out, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                yaml.safe_dump(data, f, sort_keys=False, width=100, default_flow_style=False,
                               allow_unicode=True)

        def write_text(path, text):
            full = os.path.join(out, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)

        write_text("dbt_project.yml", DBT_PROJECT_YML)
        write_text("profiles.yml", PROFILES_YML)
        write_text("README.md", "Generated by benches/gen/generate_project.py - do not edit.\n")

        # groups
        dump("models/_groups.yml", {"version": 2, "groups": [
            {"name": g["name"], "owner": {"name": g["owner"]["name"], "email": g["owner"]["email"],
                                          "slack": g["owner"]["slack"]}}
            for g in self.groups.values()]})

        # sources
        for system, domain, loader, entries in self.sources:
            tables = []
            for table, cols in entries:
                tcols = []
                tests = self.tests_by_source.get((system, table), {})
                for c in cols:
                    d = {"name": c.name, "description": c.desc, "data_type": c.dtype}
                    if c.name in tests:
                        d["data_tests"] = tests[c.name]
                    tcols.append(d)
                tables.append({
                    "name": table,
                    "description": f"Raw `{table}` records from {system.replace('_', ' ').title()}, one row per {human(singular(table))}.",
                    "columns": tcols,
                })
            loaded = {"fivetran": "_fivetran_synced", "stitch": "_sdc_batched_at",
                      "airbyte": "_airbyte_extracted_at"}.get(loader, "received_at")
            team = self.people[domain]
            src = {
                "name": system,
                "description": f"Raw {system.replace('_', ' ').title()} data loaded by {loader}.",
                "schema": f"raw_{system}",
                "loader": loader,
                "loaded_at_field": loaded,
                "freshness": {"warn_after": {"count": 12, "period": "hour"},
                              "error_after": {"count": 24, "period": "hour"}},
                "meta": {"owner": team[0].email, "loader": loader},
                "tags": ["raw", domain],
                "tables": tables,
            }
            dump(f"models/staging/{system}/_{system}__sources.yml", {"version": 2, "sources": [src]})

        # models grouped per directory
        by_dir = {}
        for m in self.models:
            by_dir.setdefault(m.path_dir, []).append(m)
        for d, ms in by_dir.items():
            entries = []
            for m in ms:
                write_text(f"models/{d}/{m.name}.sql", m.sql)
                tests = self.tests_by_model.get(m.name, {})
                cols = []
                for c in m.columns:
                    if m.full_docs:
                        cd = {"name": c.name, "description": c.desc, "data_type": c.dtype}
                    elif c.role in ("pk", "key"):
                        cd = {"name": c.name, "description": c.desc}
                    elif c.name in tests:
                        cd = {"name": c.name}
                    else:
                        continue  # undocumented column, as in most real projects
                    if c.name in tests:
                        cd["data_tests"] = tests[c.name]
                    cols.append(cd)
                cfg = {"group": m.domain, "tags": m.tags}
                e = {"name": m.name, "description": m.description}
                if m.layer == "marts":
                    e["access"] = "public"
                e["config"] = cfg
                if m.meta:
                    e["meta"] = m.meta
                e["columns"] = cols
                entries.append(e)
            last = d.split("/")[-1]
            dump(f"models/{d}/_{last}__models.yml", {"version": 2, "models": entries})

        # exposures per domain
        by_dom = {}
        for domain, e in self.exposures:
            by_dom.setdefault(domain, []).append(e)
        for domain, es in by_dom.items():
            dump(f"models/marts/{domain}/_{domain}__exposures.yml", {"version": 2, "exposures": es})

        # seeds
        seed_entries = []
        for s in self.seeds:
            write_text(f"seeds/{s.name}.csv",
                       ",".join(s.header) + "\n" + "".join(",".join(r) + "\n" for r in s.rows))
            tests = self.tests_by_seed.get(s.name, {})
            cols = []
            for c in s.columns:
                cd = {"name": c.name, "description": f"{human(c.name).capitalize()} reference value."}
                if c.name in tests:
                    cd["data_tests"] = tests[c.name]
                cols.append(cd)
            seed_entries.append({"name": s.name,
                                 "description": f"Static reference data: {human(s.name)}. Maintained by hand in git.",
                                 "config": {"tags": ["reference"]},
                                 "columns": cols})
        if seed_entries:
            dump("seeds/_seeds.yml", {"version": 2, "seeds": seed_entries})

    def run(self, out):
        a = self.args
        n_stg = a.sources
        if a.models < n_stg:
            sys.exit(f"--models ({a.models}) must be >= --sources ({a.sources}): one staging model per source table")
        self.make_people()
        self.make_sources()
        self.make_seeds()
        self.make_staging()
        rest = a.models - n_stg
        n_int = int(round(rest * 0.55))
        self.make_derived("intermediate", n_int)
        self.make_derived("marts", rest - n_int)
        self.decorate()
        self.make_tests()
        self.make_exposures()
        self.write(out)
        n_tests = sum(len(v) for t in (self.tests_by_model, self.tests_by_source, self.tests_by_seed)
                      for cols in t.values() for v in cols.values())
        print(f"wrote {out}: {len(self.models)} models "
              f"({len(self.layer_models('staging'))} staging, {len(self.layer_models('intermediate'))} intermediate, "
              f"{len(self.layer_models('marts'))} marts), {n_tests} tests, {len(self.exposures)} exposures, "
              f"{sum(len(e) for _, _, _, e in self.sources)} source tables, {len(self.seeds)} seeds")


DBT_PROJECT_YML = f"""name: '{PROJECT}'
version: '1.0.0'
config-version: 2
profile: '{PROJECT}'

model-paths: ["models"]
seed-paths: ["seeds"]
test-paths: ["tests"]
macro-paths: ["macros"]
analysis-paths: ["analyses"]
snapshot-paths: ["snapshots"]
target-path: "target"
clean-targets: ["target", "dbt_packages"]

flags:
  send_anonymous_usage_stats: false

models:
  {PROJECT}:
    +persist_docs:
      relation: true
      columns: true
    staging:
      +materialized: view
      +schema: staging
      +docs:
        node_color: "#8fbc8f"
    intermediate:
      +schema: intermediate
      +docs:
        node_color: "#cd853f"
    marts:
      +schema: marts
      +docs:
        node_color: "#4682b4"
      +meta:
        layer: presentation

seeds:
  {PROJECT}:
    +schema: reference

data_tests:
  {PROJECT}:
    +store_failures: false
"""

PROFILES_YML = f"""{PROJECT}:
  target: prod
  outputs:
    prod:
      type: duckdb
      path: "acme_warehouse.duckdb"
      threads: 8
    dev:
      type: duckdb
      path: "acme_dev.duckdb"
      threads: 4
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--models", type=int, default=7000)
    ap.add_argument("--tests", type=int, default=12000)
    ap.add_argument("--exposures", type=int, default=300)
    ap.add_argument("--sources", type=int, default=200, help="number of source tables")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--seed", type=int, default=42, help="PRNG seed")
    ap.add_argument("--doc-ratio", type=float, default=0.3,
                    help="column-documentation coverage knob (0..1); main manifest-size lever")
    args = ap.parse_args(argv)
    Generator(args).run(args.out_dir)


if __name__ == "__main__":
    main()

"""Create the raw source tables for the jaffle_analytics demo project.

Usage: python3 load_raw.py <duckdb-path> [--broken]

Writes deterministic (seeded) data into the `raw` schema. Every table carries a
`_loaded_at` timestamp (naive UTC) that dbt source freshness checks. With
--broken it also injects the bad rows the demo "broken" run relies on:

* shop_customers: a duplicated customer id (unique test, severity error -> fail)
                  and a customer with a null email (not_null, severity warn -> warn)
* shop_orders:    an order with an unexpected status (accepted_values, warn -> warn)
                  and an order for a customer id that does not exist
                  (relationships, severity error -> fail)
* product_events: events without a user id (not_null, severity warn -> warn)
* marketing_ad_spend: last loaded 5 days ago (freshness error_after 48h -> error)
"""

import datetime as dt
import random
import sys

import duckdb


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    broken = "--broken" in sys.argv[2:]

    rng = random.Random(42)
    # Naive UTC, truncated to the minute so the data is easy to eyeball.
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, second=0, microsecond=0)
    today = now.date()
    fresh = now - dt.timedelta(minutes=12)

    con = duckdb.connect(path)
    con.execute("create schema if not exists raw")

    # --- marketing.campaigns -------------------------------------------------
    campaigns = [
        (1, "Search - brand", "paid_search"),
        (2, "Search - generic", "paid_search"),
        (3, "Instagram spring", "paid_social"),
        (4, "Newsletter referral", "email"),
        (5, "Display retargeting", "display"),
    ]
    con.execute("""
        create or replace table raw.marketing_campaigns (
            id integer, name varchar, channel varchar, started_on date, _loaded_at timestamp)""")
    con.executemany(
        "insert into raw.marketing_campaigns values (?, ?, ?, ?, ?)",
        [(cid, name, ch.upper() if cid == 3 else ch, today - dt.timedelta(days=120), now - dt.timedelta(days=30))
         for cid, name, ch in campaigns],
    )

    # --- marketing.ad_spend --------------------------------------------------
    spend_loaded_at = now - dt.timedelta(days=5, hours=3) if broken else now - dt.timedelta(hours=2)
    con.execute("""
        create or replace table raw.marketing_ad_spend (
            spend_date date, campaign_id integer, spend_micros bigint,
            impressions integer, clicks integer, _loaded_at timestamp)""")
    rows = []
    for day in range(60, 0, -1):
        for cid, _, _ in campaigns:
            impressions = rng.randint(500, 20000)
            clicks = rng.randint(0, impressions // 40)
            rows.append((today - dt.timedelta(days=day), cid,
                         rng.randint(5_000_000, 400_000_000), impressions, clicks, spend_loaded_at))
    con.executemany("insert into raw.marketing_ad_spend values (?, ?, ?, ?, ?, ?)", rows)

    # --- shop.customers ------------------------------------------------------
    first = ["Ana", "Bruno", "Carla", "Dmitri", "Eve", "Farah", "Gus", "Hana", "Ivo", "Jun",
             "Kai", "Lena", "Milo", "Nora", "Omar", "Pia"]
    last = ["Silva", "Novak", "Mendes", "Ivanov", "Okafor", "Khan", "Larsen", "Sato", "Rossi", "Kim"]
    countries = ["US", "US", "GB", "DE", "BR", "JP"]
    con.execute("""
        create or replace table raw.shop_customers (
            id integer, first_name varchar, last_name varchar, email varchar, country varchar,
            acquisition_campaign_id integer, signed_up_at timestamp, _loaded_at timestamp)""")
    customers = []
    for cid in range(1, 81):
        fn, ln = rng.choice(first), rng.choice(last)
        campaign = rng.choice([None, None, 1, 2, 3, 4, 5])
        signed_up = now - dt.timedelta(days=rng.randint(30, 400), minutes=rng.randint(0, 1440))
        customers.append((cid, fn, ln, f"{fn}.{ln}{cid}@Customers.example".lower() if cid % 3 else
                          f"{fn}.{ln}{cid}@Customers.example", rng.choice(countries), campaign,
                          signed_up, fresh))
    if broken:
        # A re-registration that the shop's dedup job missed: same id, new email.
        dup = customers[6]
        customers.append((dup[0], dup[1], dup[2], "second.account@customers.example", dup[4],
                          dup[5], now - dt.timedelta(days=1), fresh))
        # A guest checkout that got promoted to a customer without an email.
        customers.append((81, "Guest", "Checkout", None, "US", None, now - dt.timedelta(days=2), fresh))
    con.executemany("insert into raw.shop_customers values (?, ?, ?, ?, ?, ?, ?, ?)", customers)

    # --- shop.orders + shop.payments ----------------------------------------
    statuses = ["completed"] * 6 + ["shipped"] * 2 + ["placed", "return_pending", "returned"]
    methods = ["credit_card"] * 5 + ["bank_transfer"] * 2 + ["coupon", "gift_card"]
    con.execute("""
        create or replace table raw.shop_orders (
            id integer, user_id integer, order_date timestamp, status varchar, _loaded_at timestamp)""")
    con.execute("""
        create or replace table raw.shop_payments (
            id integer, order_id integer, payment_method varchar, status varchar,
            amount integer, created_at timestamp, _loaded_at timestamp)""")
    orders, payments = [], []
    payment_id = 1
    for oid in range(1, 301):
        ordered_at = now - dt.timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 1440))
        orders.append((oid, rng.randint(1, 80), ordered_at, rng.choice(statuses), fresh))
        for attempt in range(rng.choice([1, 1, 1, 1, 2])):
            # A second payment is either a failed retry or a split (coupon) payment.
            status = "success" if attempt == 0 or rng.random() < 0.5 else "failed"
            payments.append((payment_id, oid, rng.choice(methods), status,
                             rng.randint(500, 25000), ordered_at + dt.timedelta(minutes=attempt + 1), fresh))
            payment_id += 1
    if broken:
        orders.append((301, 44, now - dt.timedelta(hours=5), "lost_in_mail", fresh))
        orders.append((302, 9999, now - dt.timedelta(hours=3), "placed", fresh))
        payments.append((payment_id, 301, "credit_card", "success", 4200, now - dt.timedelta(hours=5), fresh))
        payments.append((payment_id + 1, 302, "credit_card", "success", 1999, now - dt.timedelta(hours=3), fresh))
    con.executemany("insert into raw.shop_orders values (?, ?, ?, ?, ?)", orders)
    con.executemany("insert into raw.shop_payments values (?, ?, ?, ?, ?, ?, ?)", payments)

    # --- product.events ------------------------------------------------------
    event_types = ["page_view"] * 6 + ["search"] * 2 + ["add_to_cart", "checkout"]
    con.execute("""
        create or replace table raw.product_events (
            event_id varchar, user_id integer, session_id varchar, event_type varchar,
            occurred_at timestamp, _loaded_at timestamp)""")
    events = []
    for i in range(1, 1201):
        user = rng.randint(1, 80)
        occurred = now - dt.timedelta(minutes=rng.randint(20, 60 * 24 * 45))
        events.append((f"evt_{i:05d}", user, f"s_{user}_{occurred:%Y%m%d}", rng.choice(event_types),
                       occurred, fresh))
    if broken:
        for i in range(1201, 1205):
            events.append((f"evt_{i:05d}", None, f"s_anon_{i}", "page_view", now - dt.timedelta(minutes=30), fresh))
    con.executemany("insert into raw.product_events values (?, ?, ?, ?, ?, ?)", events)

    con.close()
    print(f"loaded raw data into {path} ({'broken' if broken else 'healthy'}; now={now:%Y-%m-%dT%H:%M}Z)")


if __name__ == "__main__":
    main()

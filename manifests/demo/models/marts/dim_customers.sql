with customers as (
    select * from {{ ref('stg_shop__customers') }}
),

order_history as (
    select * from {{ ref('int_customer_orders') }}
),

engagement as (
    select
        customer_id,
        count(*)                    as events_last_30d,
        count(distinct session_id)  as sessions_last_30d,
        max(occurred_at)            as last_seen_at
    from {{ ref('stg_product__events') }}
    where occurred_at >= current_date - interval 30 day
    group by 1
)

select
    customers.customer_id,
    customers.full_name,
    customers.email,
    customers.country_code,
    customers.acquisition_campaign_id,
    customers.signed_up_at,
    order_history.first_order_at,
    order_history.last_order_at,
    order_history.order_count,
    order_history.lifetime_value_usd,
    coalesce(engagement.events_last_30d, 0)     as events_last_30d,
    coalesce(engagement.sessions_last_30d, 0)   as sessions_last_30d,
    engagement.last_seen_at
from customers
left join order_history using (customer_id)
left join engagement using (customer_id)

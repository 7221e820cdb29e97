-- Exploratory daily engagement rollup. Nobody is paged for this one
-- (meta.steward.mute = true in _marts.yml).
select
    cast(occurred_at as date)       as activity_date,
    event_type,
    count(*)                        as event_count,
    count(distinct customer_id)     as active_customers,
    count(distinct session_id)      as sessions
from {{ ref('stg_product__events') }}
group by 1, 2

-- Booked revenue per day, in the shape the finance close uses. Reads the
-- jaffle_analytics `fct_revenue` mart directly from the shared warehouse.
select
    revenue_date,
    cast(date_trunc('month', revenue_date) as date)     as fiscal_month,
    order_count,
    gross_revenue_usd,
    returned_usd,
    coupon_usd,
    net_revenue_usd,
    gross_revenue_usd - returned_usd - coupon_usd       as cash_collected_usd
from {{ source('jaffle_analytics', 'fct_revenue') }}

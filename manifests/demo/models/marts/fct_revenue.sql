with orders as (
    select * from {{ ref('int_orders_with_payments') }}
)

select
    cast(ordered_at as date)                                            as revenue_date,
    count(*)                                                            as order_count,
    sum(amount_usd)                                                     as gross_revenue_usd,
    sum(case when is_returned then amount_usd else 0 end)               as returned_usd,
    sum(coupon_amount_usd)                                              as coupon_usd,
    sum(case when is_returned then 0 else amount_usd end)               as net_revenue_usd
from orders
group by 1

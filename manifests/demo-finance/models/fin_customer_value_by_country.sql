-- Customer lifetime value per country, reconciled against booked net revenue
-- (the two upstream marts must agree within rounding for the board pack).
with customers as (
    select * from {{ source('jaffle_analytics', 'dim_customers') }}
),

booked as (
    select sum(net_revenue_usd) as net_revenue_usd
    from {{ ref('fin_revenue_monthly') }}
)

select
    customers.country_code,
    count(*)                                                    as customers,
    count(*) filter (where customers.order_count > 0)           as paying_customers,
    sum(customers.lifetime_value_usd)                           as lifetime_value_usd,
    round(avg(customers.lifetime_value_usd), 2)                 as avg_lifetime_value_usd,
    round(sum(customers.lifetime_value_usd) / nullif(any_value(booked.net_revenue_usd), 0), 4)
                                                                as share_of_net_revenue
from customers
cross join booked
group by 1

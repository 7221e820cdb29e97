with customers as (
    select * from {{ ref('stg_shop__customers') }}
),

orders as (
    select * from {{ ref('int_orders_with_payments') }}
)

select
    customers.customer_id,
    min(orders.ordered_at)                                      as first_order_at,
    max(orders.ordered_at)                                      as last_order_at,
    count(orders.order_id)                                      as order_count,
    coalesce(sum(case when not orders.is_returned then orders.amount_usd end), 0)
                                                                as lifetime_value_usd
from customers
left join orders using (customer_id)
group by 1

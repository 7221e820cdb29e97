with orders as (
    select * from {{ ref('stg_shop__orders') }}
),

payments as (
    select * from {{ ref('stg_shop__payments') }}
    where payment_status = 'success'
),

order_payments as (
    select
        order_id,
        count(*)                                                    as payment_count,
        sum(amount_usd)                                             as amount_usd,
        sum(case when payment_method = 'coupon' then amount_usd else 0 end) as coupon_amount_usd
    from payments
    group by 1
)

select
    orders.order_id,
    orders.customer_id,
    orders.ordered_at,
    orders.status,
    orders.status in ('returned', 'return_pending')   as is_returned,
    coalesce(order_payments.payment_count, 0)         as payment_count,
    coalesce(order_payments.amount_usd, 0)            as amount_usd,
    coalesce(order_payments.coupon_amount_usd, 0)     as coupon_amount_usd
from orders
left join order_payments using (order_id)

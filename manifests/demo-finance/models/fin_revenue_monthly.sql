-- Month-level revenue with month-over-month growth: the board pack's headline table.
with monthly as (
    select
        fiscal_month,
        sum(order_count)            as order_count,
        sum(gross_revenue_usd)      as gross_revenue_usd,
        sum(returned_usd)           as returned_usd,
        sum(net_revenue_usd)        as net_revenue_usd
    from {{ ref('fin_revenue_daily') }}
    group by 1
)

select
    fiscal_month,
    order_count,
    gross_revenue_usd,
    returned_usd,
    net_revenue_usd,
    round(
        net_revenue_usd / nullif(lag(net_revenue_usd) over (order by fiscal_month), 0) - 1,
        4
    )                               as net_revenue_mom_growth
from monthly

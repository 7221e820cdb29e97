with campaigns as (
    select * from {{ ref('int_campaign_performance') }}
),

acquired as (
    select
        acquisition_campaign_id     as campaign_id,
        count(*)                    as customers_acquired,
        sum(lifetime_value_usd)     as attributed_revenue_usd
    from {{ ref('dim_customers') }}
    where acquisition_campaign_id is not null
    group by 1
)

select
    campaigns.campaign_id,
    campaigns.campaign_name,
    campaigns.channel,
    campaigns.spend_usd,
    campaigns.clicks,
    campaigns.cost_per_click_usd,
    coalesce(acquired.customers_acquired, 0)        as customers_acquired,
    coalesce(acquired.attributed_revenue_usd, 0)    as attributed_revenue_usd,
    case when acquired.customers_acquired > 0
         then round(campaigns.spend_usd / acquired.customers_acquired, 2) end
                                                    as customer_acquisition_cost_usd,
    case when campaigns.spend_usd > 0
         then round(coalesce(acquired.attributed_revenue_usd, 0) / campaigns.spend_usd, 3) end
                                                    as return_on_ad_spend
from campaigns
left join acquired using (campaign_id)

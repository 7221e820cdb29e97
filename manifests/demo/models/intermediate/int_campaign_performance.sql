with spend as (
    select * from {{ ref('stg_marketing__ad_spend') }}
),

campaigns as (
    select * from {{ ref('stg_marketing__campaigns') }}
)

select
    campaigns.campaign_id,
    campaigns.campaign_name,
    campaigns.channel,
    coalesce(sum(spend.spend_usd), 0)       as spend_usd,
    coalesce(sum(spend.impressions), 0)     as impressions,
    coalesce(sum(spend.clicks), 0)          as clicks,
    case
        when coalesce(sum(spend.clicks), 0) = 0 then null
        else round(sum(spend.spend_usd) / sum(spend.clicks), 4)
    end                                     as cost_per_click_usd
from campaigns
left join spend using (campaign_id)
group by 1, 2, 3

select
    spend_date,
    campaign_id,
    cast(spend_micros as double) / 1e6  as spend_usd,
    impressions,
    clicks
from {{ source('marketing', 'ad_spend') }}

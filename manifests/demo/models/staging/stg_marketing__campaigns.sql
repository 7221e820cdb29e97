select
    id              as campaign_id,
    name            as campaign_name,
    lower(channel)  as channel,
    started_on
from {{ source('marketing', 'campaigns') }}

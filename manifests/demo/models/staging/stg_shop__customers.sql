select
    id                                  as customer_id,
    first_name,
    last_name,
    first_name || ' ' || last_name      as full_name,
    lower(email)                        as email,
    country                             as country_code,
    acquisition_campaign_id,
    signed_up_at
from {{ source('shop', 'customers') }}

select
    id                  as order_id,
    user_id             as customer_id,
    order_date          as ordered_at,
    lower(status)       as status
from {{ source('shop', 'orders') }}

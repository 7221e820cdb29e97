select
    event_id,
    user_id         as customer_id,
    session_id,
    event_type,
    occurred_at
from {{ source('product', 'events') }}

SELECT
  *
FROM (
  SELECT
    customer_id,
    timestamp,
    event,
    channel
  FROM (
    SELECT
      COALESCE(ga4_user, ga4_device) AS customer_id,
      timestamp,
      event,
      channel
    FROM (
      SELECT
        CASE
          WHEN LOWER(TRIM(user_id)) IN ('', '(not set)', 'null', 'none')
          THEN NULL
          ELSE TRIM(user_id)
        END AS ga4_user,
        CASE
          WHEN LOWER(TRIM(user_pseudo_id)) IN ('', '(not set)', 'null', 'none')
          THEN NULL
          ELSE TRIM(user_pseudo_id)
        END AS ga4_device,
        TIMESTAMP_MICROS(event_timestamp) AS timestamp,
        NULLIF(TRIM(event_name), '') AS event,
        CASE LOWER(TRIM(device.category))
          WHEN 'desktop'
          THEN 'web'
          WHEN 'mobile'
          THEN 'mobile'
          WHEN 'tablet'
          THEN 'mobile'
          WHEN 'smart tv'
          THEN 'web'
          ELSE NULLIF(LOWER(TRIM(device.category)), '')
        END AS channel
      FROM `my-project.analytics_123.events_*`
      WHERE
        _TABLE_SUFFIX BETWEEN '20240301' AND '20240303' AND NOT event_timestamp IS NULL
    )
  )
  WHERE
    NOT customer_id IS NULL AND NOT event IS NULL
);

SELECT
  *
FROM (
  SELECT
    CAST(`customer_id` AS STRING) AS `customer_id`,
    `timestamp` AS `timestamp`,
    CAST(`event` AS STRING) AS `event`,
    `channel` AS `channel`
  FROM (
    SELECT
      customer_id,
      timestamp,
      event,
      channel
    FROM (
      SELECT
        COALESCE(ga4_user, ga4_device) AS customer_id,
        timestamp,
        event,
        channel
      FROM (
        SELECT
          CASE
            WHEN LOWER(TRIM(user_id)) IN ('', '(not set)', 'null', 'none')
            THEN NULL
            ELSE TRIM(user_id)
          END AS ga4_user,
          CASE
            WHEN LOWER(TRIM(user_pseudo_id)) IN ('', '(not set)', 'null', 'none')
            THEN NULL
            ELSE TRIM(user_pseudo_id)
          END AS ga4_device,
          TIMESTAMP_MICROS(event_timestamp) AS timestamp,
          NULLIF(TRIM(event_name), '') AS event,
          CASE LOWER(TRIM(device.category))
            WHEN 'desktop'
            THEN 'web'
            WHEN 'mobile'
            THEN 'mobile'
            WHEN 'tablet'
            THEN 'mobile'
            WHEN 'smart tv'
            THEN 'web'
            ELSE NULLIF(LOWER(TRIM(device.category)), '')
          END AS channel
        FROM `my-project.analytics_123.events_*`
        WHERE
          _TABLE_SUFFIX BETWEEN '20240301' AND '20240303' AND NOT event_timestamp IS NULL
      )
    )
    WHERE
      NOT customer_id IS NULL AND NOT event IS NULL
  ) AS jk_table
);

WITH jk_src AS (
  SELECT
    CAST(`customer_id` AS STRING) AS `customer_id`,
    `timestamp` AS `timestamp`,
    CAST(`event` AS STRING) AS `event`,
    `channel` AS `channel`
  FROM (
    SELECT
      customer_id,
      timestamp,
      event,
      channel
    FROM (
      SELECT
        COALESCE(ga4_user, ga4_device) AS customer_id,
        timestamp,
        event,
        channel
      FROM (
        SELECT
          CASE
            WHEN LOWER(TRIM(user_id)) IN ('', '(not set)', 'null', 'none')
            THEN NULL
            ELSE TRIM(user_id)
          END AS ga4_user,
          CASE
            WHEN LOWER(TRIM(user_pseudo_id)) IN ('', '(not set)', 'null', 'none')
            THEN NULL
            ELSE TRIM(user_pseudo_id)
          END AS ga4_device,
          TIMESTAMP_MICROS(event_timestamp) AS timestamp,
          NULLIF(TRIM(event_name), '') AS event,
          CASE LOWER(TRIM(device.category))
            WHEN 'desktop'
            THEN 'web'
            WHEN 'mobile'
            THEN 'mobile'
            WHEN 'tablet'
            THEN 'mobile'
            WHEN 'smart tv'
            THEN 'web'
            ELSE NULLIF(LOWER(TRIM(device.category)), '')
          END AS channel
        FROM `my-project.analytics_123.events_*`
        WHERE
          _TABLE_SUFFIX BETWEEN '20240301' AND '20240303' AND NOT event_timestamp IS NULL
      )
    )
    WHERE
      NOT customer_id IS NULL AND NOT event IS NULL
  ) AS jk_table
), ev AS (
  SELECT
    *
  FROM (
    SELECT
      CAST(`customer_id` AS STRING) AS cid,
      CAST(`timestamp` AS TIMESTAMP) AS ts,
      CAST(`event` AS STRING) AS name
    FROM jk_src
    WHERE
      NOT `customer_id` IS NULL AND NOT `event` IS NULL
  )
  WHERE
    NOT ts IS NULL
), o AS (
  SELECT
    name,
    CASE
      WHEN LEAD(name) OVER (PARTITION BY cid ORDER BY ts IS NULL, ts, name IS NULL, name) IS NULL
      OR LEAD(ts) OVER (PARTITION BY cid ORDER BY ts IS NULL, ts, name IS NULL, name) - ts > INTERVAL '1800000000' MICROSECOND
      THEN '(end)'
      ELSE LEAD(name) OVER (PARTITION BY cid ORDER BY ts IS NULL, ts, name IS NULL, name)
    END AS target
  FROM ev
)
SELECT
  name AS source,
  target,
  COUNT(*) AS count
FROM o
GROUP BY ALL;


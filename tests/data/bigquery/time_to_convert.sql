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
    e.*,
    m.sk
  FROM (
    SELECT
      *
    FROM (
      SELECT
        CAST(`customer_id` AS STRING) AS cid,
        CAST(`timestamp` AS TIMESTAMP) AS ts,
        CAST(`event` AS STRING) AS name
      FROM jk_src
      WHERE
        NOT `customer_id` IS NULL
        AND NOT `event` IS NULL
        AND CAST(`event` AS STRING) IN ('add_to_cart', 'purchase', 'session_start', 'view_item')
    )
    WHERE
      NOT ts IS NULL
  ) AS e
  JOIN UNNEST([
    STRUCT('session_start' AS step_name, 1 AS sk),
    STRUCT('view_item' AS step_name, 2 AS sk),
    STRUCT('add_to_cart' AS step_name, 3 AS sk),
    STRUCT('purchase' AS step_name, 4 AS sk)
  ]) AS m
    ON e.name = m.step_name
), r1 AS (
  SELECT DISTINCT
    cid,
    ts AS t1
  FROM ev
  WHERE
    sk = 1
), c2 AS (
  SELECT
    cid,
    ts
  FROM ev
  WHERE
    sk = 2
), v2 AS (
  SELECT
    r.*,
    c.ts AS t2,
    FALSE AS same
  FROM r1 AS r
  JOIN (
    SELECT
      jk_k0,
      jk_t,
      jk_p AS `ts`
    FROM (
      SELECT
        jk_k0,
        jk_t,
        jk_side,
        FIRST_VALUE(CASE WHEN jk_side = 1 THEN jk_t END IGNORE NULLS) OVER (
          PARTITION BY jk_k0
          ORDER BY jk_t IS NULL ASC, jk_t ASC, jk_o IS NULL ASC, jk_o ASC
          ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING
        ) AS jk_p
      FROM (
        SELECT
          jk_k0,
          jk_t,
          0 AS jk_side,
          0 AS jk_o,
          NULL AS `ts`
        FROM (
          SELECT DISTINCT
            r.cid AS jk_k0,
            r.t1 AS jk_t
          FROM r1 AS r
        ) AS jk_l
        UNION ALL
        SELECT
          jk_k0,
          jk_t,
          1 AS jk_side,
          1 AS jk_o,
          `ts`
        FROM (
          SELECT
            c.cid AS jk_k0,
            c.ts AS jk_t,
            c.`ts` AS `ts`
          FROM c2 AS c
          WHERE
            NOT c.cid IS NULL AND NOT c.ts IS NULL
        ) AS jk_r
      ) AS jk_u
    ) AS jk_w
    WHERE
      jk_side = 0 AND NOT jk_p IS NULL
  ) AS c
    ON r.cid = c.jk_k0 AND r.t1 = c.jk_t
), r2 AS (
  SELECT
    *
    EXCEPT (same)
  FROM v2
  WHERE
    NOT t2 IS NULL AND t2 <= t1 + INTERVAL '86400000000' MICROSECOND
), c3 AS (
  SELECT
    cid,
    ts
  FROM ev
  WHERE
    sk = 3
), v3 AS (
  SELECT
    r.*,
    c.ts AS t3,
    FALSE AS same
  FROM r2 AS r
  JOIN (
    SELECT
      jk_k0,
      jk_t,
      jk_p AS `ts`
    FROM (
      SELECT
        jk_k0,
        jk_t,
        jk_side,
        FIRST_VALUE(CASE WHEN jk_side = 1 THEN jk_t END IGNORE NULLS) OVER (
          PARTITION BY jk_k0
          ORDER BY jk_t IS NULL ASC, jk_t ASC, jk_o IS NULL ASC, jk_o ASC
          ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING
        ) AS jk_p
      FROM (
        SELECT
          jk_k0,
          jk_t,
          0 AS jk_side,
          0 AS jk_o,
          NULL AS `ts`
        FROM (
          SELECT DISTINCT
            r.cid AS jk_k0,
            r.t2 AS jk_t
          FROM r2 AS r
        ) AS jk_l
        UNION ALL
        SELECT
          jk_k0,
          jk_t,
          1 AS jk_side,
          1 AS jk_o,
          `ts`
        FROM (
          SELECT
            c.cid AS jk_k0,
            c.ts AS jk_t,
            c.`ts` AS `ts`
          FROM c3 AS c
          WHERE
            NOT c.cid IS NULL AND NOT c.ts IS NULL
        ) AS jk_r
      ) AS jk_u
    ) AS jk_w
    WHERE
      jk_side = 0 AND NOT jk_p IS NULL
  ) AS c
    ON r.cid = c.jk_k0 AND r.t2 = c.jk_t
), r3 AS (
  SELECT
    *
    EXCEPT (same)
  FROM v3
  WHERE
    NOT t3 IS NULL AND t3 <= t1 + INTERVAL '86400000000' MICROSECOND
), c4 AS (
  SELECT
    cid,
    ts
  FROM ev
  WHERE
    sk = 4
), v4 AS (
  SELECT
    r.*,
    c.ts AS t4,
    FALSE AS same
  FROM r3 AS r
  JOIN (
    SELECT
      jk_k0,
      jk_t,
      jk_p AS `ts`
    FROM (
      SELECT
        jk_k0,
        jk_t,
        jk_side,
        FIRST_VALUE(CASE WHEN jk_side = 1 THEN jk_t END IGNORE NULLS) OVER (
          PARTITION BY jk_k0
          ORDER BY jk_t IS NULL ASC, jk_t ASC, jk_o IS NULL ASC, jk_o ASC
          ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING
        ) AS jk_p
      FROM (
        SELECT
          jk_k0,
          jk_t,
          0 AS jk_side,
          0 AS jk_o,
          NULL AS `ts`
        FROM (
          SELECT DISTINCT
            r.cid AS jk_k0,
            r.t3 AS jk_t
          FROM r3 AS r
        ) AS jk_l
        UNION ALL
        SELECT
          jk_k0,
          jk_t,
          1 AS jk_side,
          1 AS jk_o,
          `ts`
        FROM (
          SELECT
            c.cid AS jk_k0,
            c.ts AS jk_t,
            c.`ts` AS `ts`
          FROM c4 AS c
          WHERE
            NOT c.cid IS NULL AND NOT c.ts IS NULL
        ) AS jk_r
      ) AS jk_u
    ) AS jk_w
    WHERE
      jk_side = 0 AND NOT jk_p IS NULL
  ) AS c
    ON r.cid = c.jk_k0 AND r.t3 = c.jk_t
), r4 AS (
  SELECT
    *
    EXCEPT (same)
  FROM v4
  WHERE
    NOT t4 IS NULL AND t4 <= t1 + INTERVAL '86400000000' MICROSECOND
), jk_chosen AS (
  SELECT
    cid,
    MAX(reached) AS reached,
    ARRAY_AGG(
      IF(NOT t1 IS NULL, STRUCT(t1 AS jk_v), NULL) IGNORE NULLS ORDER BY -reached IS NULL, -reached, tr IS NULL, tr, -UNIX_MICROS(t1) IS NULL, -UNIX_MICROS(t1)
      LIMIT 1
    )[SAFE_OFFSET(0)].jk_v AS t1
  FROM (
    SELECT
      cid,
      1 AS reached,
      t1 AS tr,
      t1
    FROM r1
    UNION ALL
    SELECT
      cid,
      2 AS reached,
      t2 AS tr,
      t1
    FROM r2
    UNION ALL
    SELECT
      cid,
      3 AS reached,
      t3 AS tr,
      t1
    FROM r3
    UNION ALL
    SELECT
      cid,
      4 AS reached,
      t4 AS tr,
      t1
    FROM r4
  )
  GROUP BY
    cid
), cust AS (
  SELECT
    s.cid,
    s.reached,
    [r.t1] AS times
  FROM jk_chosen AS s
  JOIN r1 AS r
    ON s.cid = r.cid AND s.t1 = r.t1
  WHERE
    s.reached = 1
  UNION ALL
  SELECT
    s.cid,
    s.reached,
    [r.t1, r.t2] AS times
  FROM jk_chosen AS s
  JOIN r2 AS r
    ON s.cid = r.cid AND s.t1 = r.t1
  WHERE
    s.reached = 2
  UNION ALL
  SELECT
    s.cid,
    s.reached,
    [r.t1, r.t2, r.t3] AS times
  FROM jk_chosen AS s
  JOIN r3 AS r
    ON s.cid = r.cid AND s.t1 = r.t1
  WHERE
    s.reached = 3
  UNION ALL
  SELECT
    s.cid,
    s.reached,
    [r.t1, r.t2, r.t3, r.t4] AS times
  FROM jk_chosen AS s
  JOIN r4 AS r
    ON s.cid = r.cid AND s.t1 = r.t1
  WHERE
    s.reached = 4
), dur AS (
  SELECT
    UNIX_MICROS(times[3]) - UNIX_MICROS(times[0]) AS d
  FROM cust
  WHERE
    reached >= 4
), wid AS (
  SELECT
    3600000000 AS w
)
SELECT
  (
    SELECT
      w
    FROM wid
  ) AS w,
  COUNT(*) AS n,
  AVG(d) AS mean,
  ARRAY_AGG(d IGNORE NULLS ORDER BY d)[SAFE_OFFSET(CAST(FLOOR((
    CAST(0.5 AS FLOAT64) * (
      COUNT(d) - 1
    )
  )) AS INT64))] * (
    1 - (
      (
        CAST(0.5 AS FLOAT64) * (
          COUNT(d) - 1
        )
      ) - FLOOR((
        CAST(0.5 AS FLOAT64) * (
          COUNT(d) - 1
        )
      ))
    )
  ) + ARRAY_AGG(d IGNORE NULLS ORDER BY d)[SAFE_OFFSET(CAST(CEIL((
    CAST(0.5 AS FLOAT64) * (
      COUNT(d) - 1
    )
  )) AS INT64))] * (
    (
      CAST(0.5 AS FLOAT64) * (
        COUNT(d) - 1
      )
    ) - FLOOR((
      CAST(0.5 AS FLOAT64) * (
        COUNT(d) - 1
      )
    ))
  ) AS median,
  ARRAY_AGG(d IGNORE NULLS ORDER BY d)[SAFE_OFFSET(CAST(FLOOR((
    CAST(0.9 AS FLOAT64) * (
      COUNT(d) - 1
    )
  )) AS INT64))] * (
    1 - (
      (
        CAST(0.9 AS FLOAT64) * (
          COUNT(d) - 1
        )
      ) - FLOOR((
        CAST(0.9 AS FLOAT64) * (
          COUNT(d) - 1
        )
      ))
    )
  ) + ARRAY_AGG(d IGNORE NULLS ORDER BY d)[SAFE_OFFSET(CAST(CEIL((
    CAST(0.9 AS FLOAT64) * (
      COUNT(d) - 1
    )
  )) AS INT64))] * (
    (
      CAST(0.9 AS FLOAT64) * (
        COUNT(d) - 1
      )
    ) - FLOOR((
      CAST(0.9 AS FLOAT64) * (
        COUNT(d) - 1
      )
    ))
  ) AS p90,
  MIN(d) AS lo,
  MAX(d) AS hi,
  (
    SELECT
      ARRAY_AGG(STRUCT(b AS b, c AS c))
    FROM (
      SELECT
        DIV(d, (
          SELECT
            w
          FROM wid
        )) AS b,
        COUNT(*) AS c
      FROM dur
      GROUP BY
        b
    )
  ) AS hist
FROM dur;


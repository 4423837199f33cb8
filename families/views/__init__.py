"""The family views: pages (a child's day and week), api (the JSON behind them), signin, and
leader (the leaders' invitation pages)."""

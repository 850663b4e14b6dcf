"""A notebook-style walkthrough of the care loop on the sandbox, ending with a chart.

Each ``# %%`` cell runs on its own in VS Code, PyCharm or Jupyter (jupytext); as a
script it runs top to bottom, offline, in a simulated morning::

    python examples/walkthrough.py [chart.png]

Customers write in, the desk threads them into its queue, two agents claim
conversations and answer through the outbox, the sender sends, and the desk's
report gives the figures as records, as a pandas DataFrame (``socialcare[pandas]``)
and as a chart (``socialcare[charts]``) written to ``chart.png`` or a temporary
directory. Without pandas or matplotlib those cells print a note and are skipped.
"""

# %% [markdown]
# ## A sandbox, a brand, a desk
# Everything runs against the offline sandbox with a manual clock.

# %%
from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

from socialcare import ManualClock
from socialcare.desk import Desk
from socialcare.errors import ConfigurationError
from socialcare.outbox import Sender
from socialcare.sandbox import Sandbox
from socialcare.storage import MemoryStore

clock = ManualClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc))
sandbox = Sandbox(clock=clock)
brand = sandbox.add_user("acmehelp", name="Acme Support")
x = sandbox.platform(brand, app_reads=False)
store = MemoryStore(clock=clock)
desk = Desk(store, brands=[brand.id], clock=clock)
sender = Sender(store, x, owner="sender-1")

# %% [markdown]
# ## Customers write in
# Six complaints, one every four minutes; the desk threads them into its queue.

# %%
COMPLAINTS = {
    "ann_k": "my router drops wifi every hour",
    "raj": "parcel 1042 never arrived",
    "mei": "billed twice this month?",
    "tom": "app crashes on login",
    "lee": "how do I change my plan?",
    "kim": "no signal in Leeds since 8am",
}
for handle, text in COMPLAINTS.items():
    sandbox.add_user(handle)
    desk.ingest([sandbox.add_post(handle, f"@acmehelp {text}")])
    clock.advance(4 * 60)
for item in desk.queue():
    waiting = item.conversation.waiting_since
    print(f"{item.conversation.id} {item.conversation.state:8} waiting since {waiting:%H:%M}")

# %% [markdown]
# ## Two agents answer
# Each claims a conversation (a lease: no two agents answer one customer), replies
# through the outbox, and the sender posts the replies to X.

# %%
AGENTS = ("agent:amy", "agent:bo")
for n, item in enumerate(desk.queue()):
    conversation_id = item.conversation.id
    opener = desk.threader.thread(conversation_id).posts[0]
    with desk.assign(conversation_id, AGENTS[n % 2]) as claim:
        claim.reply(opener, "Sorry about that! Looking into it now.")
    clock.advance((3 + 5 * n) * 60)  # the later ones waited longer
    sender.run_once()
    replies = x.get_posts([r.remote_id for r in store.list_actions(status="sent") if r.remote_id])
    desk.ingest(replies.items)  # the desk sees its own answers: first response recorded
print(f"sent {len(replies.items)} replies; open queue now {len(desk.queue())}")

# %% [markdown]
# ## The figures as records

# %%
figures = desk.report()
records = figures.to_records()
for record in records:
    print({k: record[k] for k in ("conversation_id", "agent", "state", "first_response")})
total = figures.total()
print(f"{total.conversations} conversations, median first response {total.first_response_p50}s")

# %% [markdown]
# ## As a DataFrame (pandas)

# %%
try:
    frame = figures.to_dataframe()
except ConfigurationError as missing:
    print(f"skipping the DataFrame cell: {missing}")
else:
    print(frame)

# %% [markdown]
# ## A chart (matplotlib)
# Conversations and first-response times per agent, written as a PNG.

# %%
with tempfile.TemporaryDirectory() as scratch:
    chart = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(scratch) / "first_response.png"
    try:
        figures.plot(chart, by="agent")
    except ConfigurationError as missing:
        print(f"skipping the chart cell: {missing}")
    else:
        print(f"chart written: {chart} ({chart.stat().st_size} bytes)")

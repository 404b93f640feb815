"""Home page: one card per family with the headline metrics of its shipped models."""

import streamlit as st

from gallery import cards
from gallery.summarization.config import demo_note
from gallery.tasks import TASKS

st.title("Keras applied-model gallery")
st.write("Four families of Keras 3 models — trained by script, evaluated on standard test splits, "
         "exported as TensorFlow SavedModels, and demonstrated here with the same preprocessing code.")
columns = st.columns(len(TASKS))
for column, task in zip(columns, TASKS.values()):
    with column.container(border=True):
        st.subheader(task.title)
        st.write(task.summary)
        if not task.ready:
            st.info("Coming soon")
            continue
        shipped = cards.shipped_models(task.name)
        if not shipped:
            st.info(f"No model shipped yet; train one with `{task.train_example}`.")
        for folder, card in shipped:
            metric = cards.headline_metric(card)
            note = demo_note(card)
            value = "demo only" if note else cards.format_metric(*metric[:2]) if metric else "not evaluated"
            st.metric(f"{folder.name} (demo)" if note else folder.name, value, help=note)
            if metric and not note:
                st.caption(cards.metric_meaning(card))
        st.page_link(f"{task.name}.py", label="Open the demo", icon=":material/arrow_forward:")

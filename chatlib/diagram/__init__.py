"""Seeing delivery (notebook 08): the diagram and the inspector.

- ``flow``: the diagram's model, built from the servers' and clients' facts;
- ``widget``: ``DeliveryDiagram``, the anywidget that draws it;
- ``inspector``: namespaces, rooms and sockets of running servers, as data;
- ``panel``: ``InspectorPanel``, its widget with a filterable log and actions.

Python holds every state; the browser only draws it.
"""

/** verbo models. */
package org.verbo.models;
